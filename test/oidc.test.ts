import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

const OIDC_ENV = {
  TERN_OIDC_ISSUER: 'https://idp.example.com',
  TERN_OIDC_CLIENT_ID: 'tern',
  TERN_OIDC_CLIENT_SECRET: 'a-client-secret-of-some-length',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('single sign-on configuration', () => {
  it('is off when nothing is set, on when the issuer, client id and secret are', () => {
    expect(parseConfig({}).oidc).toBeNull();
    const config = parseConfig({
      ...OIDC_ENV,
      TERN_PUBLIC_URL: 'https://tern.example.com/',
      TERN_OIDC_NAME: 'Acme',
    });
    expect(config.oidc).toEqual({
      issuer: 'https://idp.example.com',
      clientId: 'tern',
      clientSecret: OIDC_ENV.TERN_OIDC_CLIENT_SECRET,
      name: 'Acme',
      redirectUri: 'https://tern.example.com/auth/oidc/callback',
    });
  });

  it('partly set is an error naming what is missing', () => {
    const problems = problemsOf({ TERN_OIDC_ISSUER: 'https://idp.example.com' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('TERN_OIDC_CLIENT_ID, TERN_OIDC_CLIENT_SECRET missing');
    expect(problemsOf({ TERN_OIDC_NAME: 'Acme' })[0]).toContain('TERN_OIDC_ISSUER');
  });

  it('takes https issuers, and http only on loopback', () => {
    expect(problemsOf({ ...OIDC_ENV, TERN_OIDC_ISSUER: 'http://idp.example.com' })[0]).toContain(
      'TERN_OIDC_ISSUER must be an https URL',
    );
    expect(problemsOf({ ...OIDC_ENV, TERN_OIDC_ISSUER: 'not a url' })).toHaveLength(1);
    for (const issuer of ['http://127.0.0.1:4000', 'http://localhost:4000/oidc']) {
      expect(parseConfig({ ...OIDC_ENV, TERN_OIDC_ISSUER: issuer }).oidc?.issuer).toBe(issuer);
    }
  });

  it('never puts the client secret in an error', () => {
    const problems = problemsOf({ ...OIDC_ENV, TERN_OIDC_ISSUER: 'ftp://x' });
    expect(problems.join('\n')).not.toContain(OIDC_ENV.TERN_OIDC_CLIENT_SECRET);
  });
});

describeEachDialect('GET /auth/methods', ({ db }) => {
  it('says password only without single sign-on, and names the button with it', async () => {
    const plain = await buildTestApp(db());
    const res = await plain.app.inject({ url: '/auth/methods' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ password: true, oidc: null });
    await plain.app.close();

    const sso = await buildTestApp(db(), { ...OIDC_ENV, TERN_OIDC_NAME: 'Acme' });
    const answer = await sso.app.inject({ url: '/auth/methods' });
    expect(answer.json()).toEqual({
      password: true,
      oidc: { name: 'Acme', startUrl: '/auth/oidc/start' },
    });
    // Public: it names no provider address or client.
    expect(answer.body).not.toContain('idp.example.com');
    await sso.app.close();
  });
});
