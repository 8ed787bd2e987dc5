/**
 * TERN_TRUST_PROXY: X-Forwarded-For decides the client's address (request.ip) only when the
 * request comes from a proxy it names. Seen through the failed-authentication limit, which
 * counts per request.ip: two clients behind one proxy are two addresses only when trusted.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

/** A request with a wrong token from `remoteAddress`, claiming to forward for `forwardedFor`. */
function badToken(t: TestApp, remoteAddress: string, forwardedFor?: string) {
  return t.app
    .inject({
      url: '/api/v1/me',
      remoteAddress,
      headers: {
        authorization: 'Bearer wrong-token-0123456789',
        ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
      },
    })
    .then((res) => res.statusCode);
}

describeEachDialect('TERN_TRUST_PROXY', ({ db }) => {
  it('off (the default): X-Forwarded-For is ignored, every client behind the proxy is one address', async () => {
    const t = await buildTestApp(db(), { TERN_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '2' });
    expect(t.config.trustProxy).toBe(false);
    expect(await badToken(t, '127.0.0.1', '203.0.113.1')).toBe(401);
    expect(await badToken(t, '127.0.0.1', '203.0.113.1')).toBe(401);
    // A different forwarded client, the same proxy: held back with the first.
    expect(await badToken(t, '127.0.0.1', '203.0.113.2')).toBe(429);
    await t.app.close();
  });

  it('naming the proxy: its X-Forwarded-For is the client; anyone else sending one is not believed', async () => {
    const t = await buildTestApp(db(), {
      TERN_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '2',
      TERN_TRUST_PROXY: 'loopback, 10.1.0.0/16',
    });
    // Client A, through the loopback proxy, uses up its two failures.
    expect(await badToken(t, '127.0.0.1', '203.0.113.1')).toBe(401);
    expect(await badToken(t, '127.0.0.1', '203.0.113.1')).toBe(401);
    expect(await badToken(t, '127.0.0.1', '203.0.113.1')).toBe(429);
    // Client B, through the same proxy, and through a second trusted hop, has its own count.
    expect(await badToken(t, '127.0.0.1', '203.0.113.2')).toBe(401);
    expect(await badToken(t, '127.0.0.1', '203.0.113.2, 10.1.2.3')).toBe(401);
    expect(await badToken(t, '127.0.0.1', '203.0.113.2')).toBe(429);
    // A direct client (not a named proxy) claiming to forward for a fresh address is counted as
    // itself: a new X-Forwarded-For on every try does not get it past the limit.
    expect(await badToken(t, '198.51.100.7', '192.0.2.1')).toBe(401);
    expect(await badToken(t, '198.51.100.7', '192.0.2.2')).toBe(401);
    expect(await badToken(t, '198.51.100.7', '192.0.2.3')).toBe(429);
    // ...and its claims were not counted against the addresses it named.
    expect(await badToken(t, '127.0.0.1', '192.0.2.1')).toBe(401);
    // Through the trusted proxy, a client's own spoofed X-Forwarded-For entries are not
    // believed either: only what the trusted hops appended counts (A is still held back).
    expect(await badToken(t, '127.0.0.1', '192.0.2.99, 203.0.113.1')).toBe(429);
    await t.app.close();
  });
});

describe('TERN_TRUST_PROXY values', () => {
  const trust = (value: string) => parseConfig({ TERN_TRUST_PROXY: value }).trustProxy;
  const problem = (value: string) => {
    try {
      parseConfig({ TERN_TRUST_PROXY: value });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error(`"${value}" was accepted`);
  };

  it('takes true, false and lists of addresses, CIDR ranges and named ranges', () => {
    expect(parseConfig({}).trustProxy).toBe(false);
    expect(trust('false')).toBe(false);
    expect(trust('true')).toBe(true);
    expect(trust('loopback')).toEqual(['loopback']);
    expect(trust(' 10.0.0.0/8 , ::1,fd00::/8,192.168.1.10,UniqueLocal ')).toEqual([
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
      '192.168.1.10',
      'uniquelocal',
    ]);
  });

  it('refuses anything else, naming the bad entries and what is allowed', () => {
    const allowed =
      'TERN_TRUST_PROXY must be true, false, or a comma-separated list of at most 32 proxy addresses, CIDR ranges (10.0.0.0/8) and loopback, linklocal, uniquelocal';
    expect(problem('10.0.0.0/33, proxy.internal, 127.1')).toEqual([
      `${allowed} (got "10.0.0.0/33, proxy.internal, 127.1"; not an address or range: 10.0.0.0/33, proxy.internal, 127.1)`,
    ]);
    // Fastify 5 trusts nothing with a hop count: refused rather than quietly ignored.
    expect(problem('1')).toEqual([
      `${allowed}; a hop count is not enough: name the proxies' addresses (got "1")`,
    ]);
    expect(problem(Array.from({ length: 33 }, (_, i) => `10.0.0.${i}`).join(','))[0]).toMatch(
      /^TERN_TRUST_PROXY must be .* at most 32 /,
    );
    expect(problem('10.0.0.1,,10.0.0.2')[0]).toContain('not an address or range: ');
  });
});
