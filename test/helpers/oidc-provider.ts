/**
 * A real OpenID Connect provider (oidc-provider) on 127.0.0.1 for the single-sign-on tests, and a
 * browser stand-in (fetch with a cookie jar) that signs in through its built-in development
 * login and consent forms. Nothing here is a mock: Tern's openid-client talks to this provider
 * over sockets, checks its signed ID tokens and reads its user info.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface IdpAccount {
  email: string;
  emailVerified: boolean;
  name?: string;
}

export interface Idp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Accounts by login (= subject); add or change them while it runs. */
  accounts: Map<string, IdpAccount>;
  stop(): Promise<void>;
}

/** Starts a provider with one confidential client whose redirect URI is `redirectUri`. */
export async function startIdp(redirectUri: string, port = 0): Promise<Idp> {
  const accounts = new Map<string, IdpAccount>();
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'tern-console';
  const clientSecret = `idp-client-secret-${Math.random().toString(36).slice(2)}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    cookies: { keys: ['oidc-test-cookie-key-0123456789'] },
    // eslint-disable-next-line @typescript-eslint/require-await
    findAccount: async (_ctx, sub) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        // eslint-disable-next-line @typescript-eslint/require-await
        claims: async () => ({
          sub,
          email: account.email,
          email_verified: account.emailVerified,
          ...(account.name ? { name: account.name } : {}),
        }),
      };
    },
  });
  // Its development-only warnings (dev interactions, generated keys) are expected here.
  provider.on('server_error', (_ctx, error) => console.error('oidc-provider:', error));
  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** A port free on 127.0.0.1 right now (for a server whose URL must be known before it starts). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

/** A browser's cookie store, by host (paths ignored: every cookie is sent to its host). */
export class CookieJar {
  private readonly byHost = new Map<string, Map<string, string>>();

  take(url: string, response: Response): void {
    const host = new URL(url).host;
    const jar = this.byHost.get(host) ?? new Map<string, string>();
    this.byHost.set(host, jar);
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      // A cookie cleared (empty, or expired in the past) is gone.
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
  }

  header(url: string): string {
    const jar = this.byHost.get(new URL(url).host);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  get(url: string, name: string): string | undefined {
    return this.byHost.get(new URL(url).host)?.get(name);
  }

  set(url: string, name: string, value: string): void {
    const host = new URL(url).host;
    const jar = this.byHost.get(host) ?? new Map<string, string>();
    jar.set(name, value);
    this.byHost.set(host, jar);
  }
}

export interface Hop {
  url: string;
  status: number;
  location: string | null;
  body: string;
}

/** One request as a browser sends it: the jar's cookies, no redirect followed. */
export async function browse(
  jar: CookieJar,
  url: string,
  init: { method?: string; form?: Record<string, string> } = {},
): Promise<Hop> {
  const headers: Record<string, string> = { cookie: jar.header(url), accept: 'text/html' };
  let body: string | undefined;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const response = await fetch(url, {
    method: init.method ?? (init.form ? 'POST' : 'GET'),
    headers,
    body,
    redirect: 'manual',
  });
  jar.take(url, response);
  const location = response.headers.get('location');
  return {
    url,
    status: response.status,
    location: location === null ? null : new URL(location, url).href,
    body: await response.text(),
  };
}

/**
 * Follows redirects and fills the provider's login and consent forms (as `login`) until the
 * browser is sent to a URL starting with `stopAt` (Tern's callback), which is returned unvisited.
 */
export async function signInAtIdp(
  jar: CookieJar,
  authorizationUrl: string,
  login: string,
  stopAt: string,
): Promise<string> {
  let hop = await browse(jar, authorizationUrl);
  for (let step = 0; step < 20; step++) {
    if (hop.location !== null) {
      if (hop.location.startsWith(stopAt)) return hop.location;
      hop = await browse(jar, hop.location);
      continue;
    }
    if (hop.status !== 200) throw new Error(`provider answered ${hop.status}: ${hop.body}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(hop.body)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(hop.body)?.[1];
    if (!action || !prompt) throw new Error(`no form on the provider's page: ${hop.body}`);
    const target = new URL(action.replace(/&amp;/g, '&'), hop.url).href;
    hop = await browse(jar, target, {
      form: prompt === 'login' ? { prompt, login, password: 'any' } : { prompt },
    });
  }
  throw new Error('too many steps at the provider');
}
