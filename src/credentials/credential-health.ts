/**
 * Provider health per credential: what the last provider calls with its key met. A wrong base
 * URL or an unreachable provider used to be retried silently for the whole validity period;
 * now the first failed call flags the credential (DNS failure, refused, TLS, auth, scope) and
 * the next successful one clears it. The worker reports every provider answer here.
 */
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { Executor } from '../db/executor.js';
import type { Logger } from '../logger.js';

/** What failed, as the API and the console name it. */
export type HealthProblem =
  | 'dns_failure'
  | 'connection_refused'
  | 'tls_error'
  | 'timeout'
  | 'address_refused'
  | 'connection_reset'
  | 'invalid_response'
  | 'auth_failed'
  | 'missing_scope'
  | 'not_found'
  | 'provider_error';

export const HEALTH_PROBLEMS: readonly HealthProblem[] = [
  'dns_failure',
  'connection_refused',
  'tls_error',
  'timeout',
  'address_refused',
  'connection_reset',
  'invalid_response',
  'auth_failed',
  'missing_scope',
  'not_found',
  'provider_error',
];

/** A credential's health as the API shows it. */
export interface CredentialHealth {
  /** `unknown`: no provider call recorded yet (or the base URL or key changed since). */
  status: 'unknown' | 'ok' | 'failing';
  problem: HealthProblem | null;
  message: string | null;
  /** When the current run of failures began. */
  since: string | null;
  /** The last provider call recorded, failed or not. */
  checkedAt: string | null;
}

/**
 * The part of a provider answer health needs. Both the Infobip client's results (`ok`,
 * `rejected`, `retryable`, `network` with a `reason`) and the provider contract's taxonomy
 * (`auth_failed`, `missing_scope`, `retry_later`, `unreachable`) fit.
 */
export interface ProviderOutcome {
  kind: string;
  reason?: string;
  httpStatus?: number;
  message?: string;
}

/** Longest provider message kept (Infobip's texts are short; a proxy's HTML page is not). */
const MAX_MESSAGE = 500;

const NETWORK_PROBLEMS: Record<string, HealthProblem> = {
  dns: 'dns_failure',
  connect: 'connection_refused',
  tls: 'tls_error',
  timeout: 'timeout',
  address_refused: 'address_refused',
  reset: 'connection_reset',
  invalid_response: 'invalid_response',
};

/**
 * What one provider answer says about the credential: `ok` (it works), a problem, or
 * `undefined` when it says nothing either way (a 429, one bad message in a batch).
 */
export function healthOf(
  outcome: ProviderOutcome,
): { problem: HealthProblem; message: string } | 'ok' | undefined {
  const message = (outcome.message ?? outcome.kind).slice(0, MAX_MESSAGE);
  const status = outcome.httpStatus;
  switch (outcome.kind) {
    case 'ok':
      return 'ok';
    case 'auth_failed':
      return { problem: 'auth_failed', message };
    case 'missing_scope':
      return { problem: 'missing_scope', message };
    case 'network':
    case 'unreachable':
      return { problem: NETWORK_PROBLEMS[outcome.reason ?? ''] ?? 'connection_reset', message };
    case 'rejected':
      if (status === 401) return { problem: 'auth_failed', message };
      if (status === 403) return { problem: 'missing_scope', message };
      // A 404 on Infobip's own send path: the base URL names some other server.
      if (status === 404) return { problem: 'not_found', message };
      return undefined;
    case 'retryable':
    case 'retry_later':
      return status !== undefined && status >= 500
        ? { problem: 'provider_error', message }
        : undefined;
    default:
      return undefined;
  }
}

/** The health columns of a credential row, read back for the API. */
export function healthFromRow(row: {
  provider_health: string | null;
  provider_health_message: string | null;
  provider_health_since: string | null;
  provider_checked_at: string | null;
}): CredentialHealth {
  const problem = HEALTH_PROBLEMS.find((p) => p === row.provider_health) ?? null;
  return {
    status: problem ? 'failing' : row.provider_checked_at ? 'ok' : 'unknown',
    problem,
    message: problem ? row.provider_health_message : null,
    since: problem ? row.provider_health_since : null,
    checkedAt: row.provider_checked_at,
  };
}

/**
 * A process writes a credential's health when it changes, and the same state again at most
 * this often (so `checkedAt` stays within 30 s and another process's stale write is corrected
 * within 30 s), not once per batch: a busy credential sends several batches a second.
 */
const REWRITE_SAME_STATE_MS = 30_000;

const lastWritten = new WeakMap<object, Map<string, { state: string; at: number }>>();

export interface HealthDeps {
  db: Db;
  clock: Clock;
  logger?: Logger;
}

/**
 * Records what a provider call with a credential's key met; with `messages` (those the call
 * carried), a failure is kept on each as its last provider error. Never throws:
 * health is advice, and a failed write here must not fail the settling of a batch.
 */
export async function recordProviderOutcome(
  deps: HealthDeps,
  sandbox: string,
  credential: { id: string; version?: number },
  outcome: ProviderOutcome,
  messages: readonly { id: string }[] = [],
): Promise<void> {
  const credentialId = credential.id;
  const health = healthOf(outcome);
  const at = deps.clock.now();
  const iso = at.toISOString();
  try {
    // Every failed call is kept on its messages (a 429 too), whatever it says about health.
    if (outcome.kind !== 'ok' && messages.length > 0) {
      const ids = messages.map((m) => m.id);
      const text = messageError(outcome, health);
      for (let i = 0; i < ids.length; i += 1000) {
        await deps.db.kysely
          .updateTable('messages')
          .set({ last_provider_error: text, last_provider_error_at: iso })
          .where('sandbox', '=', sandbox)
          .where('id', 'in', ids.slice(i, i + 1000))
          .execute();
      }
    }
    if (health === undefined) return;
    const state = health === 'ok' ? 'ok' : health.problem;
    const cache =
      lastWritten.get(deps.db.kysely) ?? new Map<string, { state: string; at: number }>();
    lastWritten.set(deps.db.kysely, cache);
    // Per version: a new base URL or key starts over (the update cleared the stored health).
    const key = `${sandbox}\n${credentialId}\n${credential.version ?? 0}`;
    const previous = cache.get(key);
    if (previous?.state === state && at.getTime() - previous.at < REWRITE_SAME_STATE_MS) return;
    cache.set(key, { state, at: at.getTime() });
    await writeHealth(deps.db, sandbox, credentialId, health, iso);
    if (previous && previous.state !== state) {
      if (health === 'ok')
        deps.logger?.info({ credentialId, sandbox }, 'provider health: working again');
      else
        deps.logger?.warn(
          { credentialId, sandbox, problem: health.problem, error: health.message },
          'provider health: failing',
        );
    } else if (!previous && health !== 'ok') {
      deps.logger?.warn(
        { credentialId, sandbox, problem: health.problem, error: health.message },
        'provider health: failing',
      );
    }
  } catch (error) {
    deps.logger?.warn({ err: error, credentialId }, 'provider health: not recorded');
  }
}

/** A message's last provider error: the problem's code when there is one, the HTTP status, the provider's words. */
function messageError(outcome: ProviderOutcome, health: ReturnType<typeof healthOf>): string {
  const code = health && health !== 'ok' ? `${health.problem}: ` : '';
  const status = outcome.httpStatus !== undefined ? `HTTP ${outcome.httpStatus}: ` : '';
  return `${code}${status}${(outcome.message ?? outcome.kind).slice(0, MAX_MESSAGE)}`;
}

async function writeHealth(
  db: Db,
  sandbox: string,
  credentialId: string,
  health: { problem: HealthProblem; message: string } | 'ok',
  at: string,
): Promise<void> {
  const update = db.kysely
    .updateTable('credentials')
    .where('sandbox', '=', sandbox)
    .where('id', '=', credentialId);
  if (health === 'ok') {
    await update
      .set({
        provider_health: null,
        provider_health_message: null,
        provider_health_since: null,
        provider_checked_at: at,
      })
      .execute();
    return;
  }
  await update
    .set((eb) => ({
      provider_health: health.problem,
      provider_health_message: health.message,
      // The run of failures began at the first one, whatever failed since.
      provider_health_since: eb
        .case()
        .when('provider_health', 'is', null)
        .then(at)
        .else(eb.ref('provider_health_since'))
        .end(),
      provider_checked_at: at,
    }))
    .execute();
}

/** Health before any provider call is recorded. */
export const UNKNOWN_HEALTH: CredentialHealth = Object.freeze({
  status: 'unknown',
  problem: null,
  message: null,
  since: null,
  checkedAt: null,
});

/** Forgets the recorded health (the base URL or the key changed: the old answers no longer apply). */
export async function clearProviderHealth(
  db: Executor,
  sandbox: string,
  credentialId: string,
): Promise<void> {
  await db
    .updateTable('credentials')
    .set({
      provider_health: null,
      provider_health_message: null,
      provider_health_since: null,
      provider_checked_at: null,
    })
    .where('sandbox', '=', sandbox)
    .where('id', '=', credentialId)
    .execute();
}
