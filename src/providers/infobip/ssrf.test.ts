/**
 * SSRF through the provider's answers rather than the base URL: a provider (or whoever holds
 * its name) that redirects to an internal address, and a name whose DNS answer changes between
 * connections (rebinding). Both the "Verify connection" check and the send client are covered.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createGuardedDispatcher,
  createGuardedLookup,
  type Resolver,
} from '../../net/guarded-dispatcher.js';
import { createInfobipClient } from './client.js';
import { checkInfobipConnection } from './connection-check.js';

const KEY = 'ssrf-test-key-0123456789abcdef-7e2d';

interface Listening {
  server: http.Server;
  port: number;
  hits: string[];
}

async function listen(handler: http.RequestListener): Promise<Listening> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

async function close(l: Listening): Promise<void> {
  l.server.closeAllConnections();
  await new Promise<void>((resolve) => l.server.close(() => resolve()));
}

/** A loopback server standing in for an internal service: it must never be reached. */
let trap: Listening;
/** The "provider": it redirects to wherever `location` says. */
let provider: Listening;
let location = '';
let status = 302;

beforeAll(async () => {
  trap = await listen((_req, res) => res.end('internal data'));
  provider = await listen((_req, res) => {
    res.writeHead(status, { location, 'content-type': 'application/json' });
    res.end('{}');
  });
});
afterAll(async () => {
  await close(trap);
  await close(provider);
});
beforeEach(() => {
  trap.hits.length = 0;
  provider.hits.length = 0;
});

const targets = () => [
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  `http://127.0.0.1:${trap.port}/steal`,
  'http://10.0.0.1/admin',
  'http://[::ffff:169.254.169.254]/',
];

describe('a provider answering with a redirect', () => {
  it('is not followed by the connection check, whatever the 3xx and the target', async () => {
    for (const code of [301, 302, 303, 307, 308]) {
      for (const target of targets()) {
        status = code;
        location = target;
        const outcome = await checkInfobipConnection({
          baseUrl: `http://127.0.0.1:${provider.port}`,
          apiKey: KEY,
          allowLoopback: true,
        });
        expect(outcome).toMatchObject({
          status: 'error',
          httpStatus: code,
          message: `Infobip answered ${code}: Unexpected redirect (HTTP ${code}), not followed`,
        });
      }
    }
    expect(provider.hits).toHaveLength(5 * targets().length);
    expect(trap.hits).toEqual([]);
  });

  it('is not followed by the send client (send, balance, logs)', async () => {
    const dispatcher = createGuardedDispatcher({ allowLoopback: true, connectTimeoutMs: 2000 });
    try {
      const client = createInfobipClient({
        baseUrl: `http://127.0.0.1:${provider.port}`,
        apiKey: KEY,
        dispatcher,
      });
      for (const target of targets()) {
        status = 307; // the one that would resend the POST body (and the key) as it is
        location = target;
        const sent = await client.sendSms([
          { messageId: 'm-1', to: '+41793026727', sender: 'TERN', text: 'x' },
        ]);
        expect(sent).toMatchObject({
          kind: 'rejected',
          httpStatus: 307,
          message: 'Unexpected redirect (HTTP 307), not followed',
          retryable: false,
        });
        status = 302;
        expect(await client.getBalance()).toMatchObject({ kind: 'rejected', httpStatus: 302 });
        expect(await client.findLogs('sms', ['m-1'])).toMatchObject({
          kind: 'rejected',
          httpStatus: 302,
        });
      }
    } finally {
      await dispatcher.close();
    }
    expect(provider.hits).toHaveLength(3 * targets().length);
    expect(trap.hits).toEqual([]);
  });
});

/**
 * A resolver whose answer changes after the first lookup, as a rebinding attacker's DNS server
 * does (short TTL, first the address that passes the check, then an internal one). The first
 * answer is loopback, allowed here (loopback is the one internal range an operator can allow,
 * for the simulator), because a test cannot connect to a real public address; the later answers
 * are ranges that are refused whatever is allowed.
 */
function rebinding(later: string): { resolve: Resolver; lookups: () => number } {
  let n = 0;
  return {
    lookups: () => n,
    resolve: (_host, _family, callback) => {
      n += 1;
      const address = n === 1 ? '127.0.0.1' : later;
      callback(null, [{ address, family: address.includes(':') ? 6 : 4 }]);
    },
  };
}

describe('a provider name whose DNS answer changes (rebinding)', () => {
  let answering: Listening;
  beforeAll(async () => {
    // `connection: close`: every request needs a new connection, so a new lookup.
    answering = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ balance: 10, currency: 'EUR', messages: [] }));
    });
  });
  afterAll(() => close(answering));

  it('is refused at connect time by the send client, on the next connection', async () => {
    for (const later of ['169.254.169.254', '10.0.0.7', 'fd00:ec2::254', '100.100.100.200']) {
      const dns = rebinding(later);
      const dispatcher = createGuardedDispatcher({
        allowLoopback: true,
        connectTimeoutMs: 2000,
        resolve: dns.resolve,
      });
      try {
        const client = createInfobipClient({
          baseUrl: `http://provider.example:${answering.port}`,
          apiKey: KEY,
          dispatcher,
        });
        expect(await client.getBalance()).toMatchObject({ kind: 'ok', balance: 10 });
        const second = await client.sendSms([
          { messageId: 'm-1', to: '+41793026727', sender: 'TERN', text: 'x' },
        ]);
        expect(second).toMatchObject({
          kind: 'network',
          reason: 'address_refused',
          maybeAccepted: false,
        });
        expect((second as { message: string }).message).toContain(
          `refused to connect to provider.example: it resolves to ${later}`,
        );
        expect(dns.lookups()).toBe(2);
      } finally {
        await dispatcher.close();
      }
    }
  });

  it('is refused by the connection check', async () => {
    // The check makes one request per scope (four connections): loopback until it is done.
    let later = false;
    const resolve: Resolver = (_host, _family, callback) =>
      callback(null, [{ address: later ? '169.254.169.254' : '127.0.0.1', family: 4 }]);
    const check = () =>
      checkInfobipConnection({
        baseUrl: `http://provider.example:${answering.port}`,
        apiKey: KEY,
        allowLoopback: true,
        resolve,
      });
    expect(await check()).toMatchObject({ status: 'ok' });
    later = true;
    const second = await check();
    expect(second.status).toBe('unreachable');
    expect(second.message).toContain(
      'refused to connect to provider.example: it resolves to 169.254.169.254, a cloud metadata address',
    );
  });

  it('is refused by the lookup itself when loopback is not allowed: public first, then private', async () => {
    let n = 0;
    const lookup = createGuardedLookup({
      allowLoopback: false,
      resolve: (_host, _family, callback) => {
        n += 1;
        callback(null, [{ address: n === 1 ? '93.184.215.14' : '192.168.1.10', family: 4 }]);
      },
    });
    const once = () =>
      new Promise<{ err: unknown; address: unknown }>((resolve) => {
        lookup('provider.example', {}, (err, address) => resolve({ err, address }));
      });
    expect(await once()).toEqual({ err: null, address: '93.184.215.14' });
    const second = await once();
    expect((second.err as Error).message).toBe(
      'refused to connect to provider.example: it resolves to 192.168.1.10, a private network address',
    );
  });
});
