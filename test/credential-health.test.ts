import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createSimulator } from '../simulator/src/index.js';
import { healthOf } from '../src/credentials/credential-health.js';
import {
  isRealInfobipApiHost,
  publicUrlProblems,
  publicUrlWarnings,
} from '../src/credentials/public-url-check.js';
import { SendWorker } from '../src/messages/worker.js';
import { createGuardedDispatcher } from '../src/net/guarded-dispatcher.js';
import { providerClient } from '../src/providers/registry.js';
import { describeEachDialect } from './helpers/databases.js';
import { SIM_KEY, startSendingStack, type SendingStack } from './helpers/sending.js';

describe('public URL warnings (pure)', () => {
  const REAL = 'https://xyz12.api.infobip.com';
  it.each([
    // [publicUrl, baseUrl, expected warning codes]
    ['http://localhost:8080', REAL, ['public_url_not_reachable', 'public_url_not_https']],
    ['http://127.0.0.1:8080', REAL, ['public_url_not_reachable', 'public_url_not_https']],
    ['https://127.0.0.1', REAL, ['public_url_not_reachable']],
    ['https://[::1]:8443', REAL, ['public_url_not_reachable']],
    ['http://0.0.0.0:8080', REAL, ['public_url_not_reachable', 'public_url_not_https']],
    ['https://tern.localhost', REAL, ['public_url_not_reachable']],
    ['http://10.0.0.5:8080', REAL, ['public_url_not_reachable', 'public_url_not_https']],
    ['https://192.168.1.20', REAL, ['public_url_not_reachable']],
    ['http://tern.example.com', REAL, ['public_url_not_https']],
    ['https://tern.example.com', REAL, []],
    ['https://tern.example.com', 'https://api.infobip.com', []],
    [
      'http://localhost:8080',
      'https://api.infobip.com',
      ['public_url_not_reachable', 'public_url_not_https'],
    ],
    [
      'http://localhost:8080',
      'xyz12.api.infobip.com',
      ['public_url_not_reachable', 'public_url_not_https'],
    ],
    // Not a real Infobip host: the simulator, the demo, an allowlisted proxy.
    ['http://localhost:8080', 'http://127.0.0.1:9090', []],
    ['http://localhost:8080', 'https://sms-proxy.example.com', []],
    ['http://localhost:8080', 'https://portal.infobip.com', []],
    ['http://localhost:8080', 'https://api.infobip.com.evil.example', []],
  ])('TERN_PUBLIC_URL %s, base URL %s → %j', (publicUrl, baseUrl, codes) => {
    expect(publicUrlWarnings(publicUrl, baseUrl).map((w) => w.code)).toEqual(codes);
  });

  it('names the URL and the remedy, and reads at most a bounded URL', () => {
    const [reach, tls] = publicUrlWarnings('http://localhost:8080', 'https://api.infobip.com');
    expect(reach?.message).toMatch(/http:\/\/localhost:8080.*cannot reach it.*TERN_PUBLIC_URL/);
    expect(tls?.message).toMatch(/plain http.*reverse proxy with TLS/);
    const long = `https://${'a'.repeat(5000)}.api.infobip.com`;
    const started = performance.now();
    expect(isRealInfobipApiHost(long)).toBe(false);
    expect(publicUrlProblems(`http://${'a'.repeat(100_000)}`)).toEqual(['loopback']);
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe('what a provider answer says about the credential (pure)', () => {
  it.each([
    [{ kind: 'ok' }, 'ok'],
    [{ kind: 'network', reason: 'dns', message: 'not found' }, 'dns_failure'],
    [{ kind: 'network', reason: 'connect', message: 'ECONNREFUSED' }, 'connection_refused'],
    [{ kind: 'network', reason: 'tls', message: 'cert' }, 'tls_error'],
    [{ kind: 'network', reason: 'timeout', message: 't' }, 'timeout'],
    [{ kind: 'network', reason: 'address_refused', message: 'private' }, 'address_refused'],
    [{ kind: 'unreachable', reason: 'dns', message: 'not found' }, 'dns_failure'],
    [{ kind: 'rejected', httpStatus: 401, message: 'bad key' }, 'auth_failed'],
    [{ kind: 'rejected', httpStatus: 403, message: 'scope' }, 'missing_scope'],
    [{ kind: 'auth_failed', message: 'bad key' }, 'auth_failed'],
    [{ kind: 'missing_scope', message: 'sms:logs:read' }, 'missing_scope'],
    [{ kind: 'rejected', httpStatus: 404, message: 'no route' }, 'not_found'],
    [{ kind: 'retryable', httpStatus: 503, message: 'down' }, 'provider_error'],
    // Say nothing about the credential: throttling, one bad message.
    [{ kind: 'retryable', httpStatus: 429, message: 'slow down' }, undefined],
    [{ kind: 'rejected', httpStatus: 400, message: 'bad to' }, undefined],
  ])('%j → %s', (outcome, expected) => {
    const health = healthOf(outcome);
    expect(typeof health === 'object' ? health.problem : health).toBe(expected);
  });
});

interface CredentialBody {
  health: {
    status: string;
    problem: string | null;
    message: string | null;
    since: string | null;
    checkedAt: string | null;
  };
  warnings: { code: string }[];
  version: number;
}

async function credential(s: SendingStack): Promise<CredentialBody> {
  const res = await s.t.app.inject({
    url: `/api/v1/credentials/${s.credentialId}`,
    headers: s.t.auth,
  });
  return res.json<CredentialBody>();
}

async function listed(s: SendingStack): Promise<CredentialBody | undefined> {
  const res = await s.t.app.inject({ url: '/api/v1/credentials', headers: s.t.auth });
  return res
    .json<{ items: (CredentialBody & { id: string })[] }>()
    .items.find((c) => c.id === s.credentialId);
}

interface MessageBody {
  message: {
    status: string;
    lastProviderError: { message: string; at: string } | null;
  };
}

async function message(s: SendingStack, id: string): Promise<MessageBody['message']> {
  const res = await s.t.app.inject({ url: `/api/v1/messages/${id}`, headers: s.t.auth });
  return res.json<MessageBody>().message;
}

/**
 * A port on which nothing listens, picked below the kernel's ephemeral range (32768-60999 here):
 * a freed ephemeral port can be handed to another test's `listen(0)` before this test dials it,
 * which turned "refused" into a connection that never answered (a 20 s timeout on a busy run).
 */
async function closedPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

describeEachDialect('credential health against an unreachable provider', ({ db }) => {
  it('a refused connection flags the credential at the first attempt, the message shows the error, and the next success clears it', async () => {
    const port = await closedPort();
    const s = await startSendingStack(db(), {
      credential: { baseUrl: `http://127.0.0.1:${port}` },
    });
    const back = await createSimulator({ apiKeys: [SIM_KEY], outcomeRules: [], reportDelayMs: 10 });
    try {
      expect((await credential(s)).health.status).toBe('unknown');
      const started = s.clock.now().toISOString();
      const { id } = await s.send({ to: '+14155550123', text: 'hello' });
      await s.pump();

      // Flagged by the first failed call, at its time (well within a minute).
      const failing = await credential(s);
      expect(failing.health).toMatchObject({
        status: 'failing',
        problem: 'connection_refused',
        since: started,
        checkedAt: started,
      });
      expect(failing.health.message).toMatch(/connect/i);
      expect((await listed(s))?.health.problem).toBe('connection_refused');
      const waiting = await message(s, id);
      expect(waiting.status).toBe('queued');
      expect(waiting.lastProviderError?.message).toMatch(/^connection_refused: /);
      expect(waiting.lastProviderError?.at).toBe(started);

      // Failing again a minute later: the run of failures still began at the first.
      s.clock.advance(60_000);
      await s.pump();
      expect((await credential(s)).health.since).toBe(started);

      // The provider comes up on that port: the next attempt succeeds and clears the flag.
      await back.listen({ port, host: '127.0.0.1' });
      s.clock.advance(120_000);
      await s.pump();
      const recovered = await credential(s);
      expect(recovered.health).toMatchObject({
        status: 'ok',
        problem: null,
        since: null,
        checkedAt: s.clock.now().toISOString(),
      });
      const sent = await message(s, id);
      expect(sent.status).not.toBe('queued');
      // Kept after the success: why it took three minutes.
      expect(sent.lastProviderError?.message).toMatch(/^connection_refused: /);
    } finally {
      // The provider first, as the stack closes its own simulator first: a report POST of its
      // in flight held Tern's close (a 20 s timeout on PostgreSQL, about one run in two).
      await back.close();
      await s.close();
    }
  });

  it('a base URL whose name does not resolve is flagged dns_failure at once; the warnings name TERN_PUBLIC_URL; a new base URL starts over', async () => {
    const s = await startSendingStack(db(), {
      credential: { baseUrl: 'https://no-such-account.api.infobip.com' },
    });
    // The real client and SSRF-guarded dispatcher, with a resolver that finds nothing (no network needed).
    const dispatcher = createGuardedDispatcher({
      allowLoopback: false,
      connectTimeoutMs: 5_000,
      resolve: (hostname, _family, callback) =>
        callback(
          Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
          [],
        ),
    });
    const worker = new SendWorker(
      {
        db: db(),
        clock: s.clock,
        logger: s.t.app.log as never,
        credentials: s.t.services.credentials,
        sandboxes: s.t.services.sandboxes,
        publicUrl: s.url,
        providerClientFor: (account) => providerClient('infobip', { ...account, dispatcher }),
      },
      { retryBaseMs: 1000, retryMaxMs: 60_000 },
    );
    try {
      // TERN_PUBLIC_URL is http://127.0.0.1:…: Infobip could not call back.
      expect((await credential(s)).warnings.map((w) => w.code)).toEqual([
        'public_url_not_reachable',
        'public_url_not_https',
      ]);
      const started = s.clock.now().toISOString();
      const { id } = await s.send({ to: '+14155550124', text: 'hello' });
      await worker.dispatchDue();
      await worker.drain();
      const { health } = await credential(s);
      expect(health).toMatchObject({ status: 'failing', problem: 'dns_failure', since: started });
      expect(health.message).toMatch(/not found/);
      const waiting = await message(s, id);
      expect(waiting.status).toBe('queued');
      expect(waiting.lastProviderError?.message).toMatch(/^dns_failure: .*ENOTFOUND/);

      // Fixing the base URL forgets the old answers; the simulator has no public-URL warning.
      const current = await credential(s);
      const res = await s.t.app.inject({
        method: 'PATCH',
        url: `/api/v1/credentials/${s.credentialId}`,
        headers: { ...s.t.auth, 'if-match': `"${current.version}"` },
        payload: { baseUrl: s.sim.url ?? '' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json<CredentialBody>().health.status).toBe('unknown');
      expect(res.json<CredentialBody>().warnings).toEqual([]);
    } finally {
      await worker.stop();
      await dispatcher.close();
      await s.close();
    }
  });
});
