import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { assertKeyringDecrypts } from './crypto/key-check.js';
import { loadKeyring } from './crypto/key-file.js';
import type { Keyring } from './crypto/secret-box.js';
import { openDatabase, type Db } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import type { Logger } from './logger.js';
import { SendWorker, type WorkerMetrics, type WorkerOptions } from './messages/worker.js';
import { verifyConnection } from './providers/registry.js';
import { DEFAULT_SANDBOX } from './sandboxes/sandboxes.js';
import { createServices, type Services } from './services.js';

/** An opened Tern: migrated database, encryption keys and services. What serve and the CLI share. */
export interface Runtime {
  config: Config;
  db: Db;
  clock: Clock;
  keyring: Keyring;
  keySource: string;
  services: Services;
  /** Migrations applied while opening. */
  applied: string[];
  /** What opening fixed that the operator should hear of (file modes tightened): log them. */
  warnings: string[];
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** An opened database (default: DATABASE_URL). */
  db?: Db;
  /** SQLite lock wait per statement (see `SERVER_BUSY_TIMEOUT_MS`); the CLI waits longer. */
  busyTimeoutMs?: number;
}

/**
 * Opens the database, applies pending migrations, loads the keyring (refusing one that cannot
 * decrypt the stored credentials: {@link assertKeyringDecrypts}) and makes the default sandbox.
 */
export async function openRuntime(
  config: Config,
  clock: Clock,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const db =
    options.db ??
    openDatabase(
      config.databaseUrl,
      options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs },
    );
  try {
    const applied = await migrateToLatest(db);
    const { keyring, source, warnings } = loadKeyring(config);
    const keyWarnings = await assertKeyringDecrypts(db.kysely, keyring, source);
    const services = createServices({
      config,
      db,
      clock,
      keyring,
      checkConnection: (baseUrl, apiKey) =>
        verifyConnection('infobip', {
          baseUrl,
          apiKey,
          allowLoopback: config.allowLoopbackProvider,
        }),
    });
    await services.sandboxes.ensure(DEFAULT_SANDBOX);
    return {
      config,
      db,
      clock,
      keyring,
      keySource: source,
      services,
      applied,
      warnings: [...db.warnings, ...warnings, ...keyWarnings],
      close: () => db.close(),
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** The send worker over an opened runtime, configured from the environment. */
export function createWorker(
  runtime: Runtime,
  logger: Logger,
  options: Partial<WorkerOptions> = {},
  metrics: WorkerMetrics = runtime.services.metrics,
): SendWorker {
  const { config } = runtime;
  return new SendWorker(
    {
      db: runtime.db,
      clock: runtime.clock,
      logger,
      credentials: runtime.services.credentials,
      sandboxes: runtime.services.sandboxes,
      publicUrl: config.publicUrl,
      housekeeping: () => runtime.services.inbound.expireDoubleOptIns(),
      metrics,
      policy: runtime.services.policy,
    },
    {
      batchSize: config.sendBatchSize,
      maxInFlight: config.sendConcurrency,
      leaseMs: config.sendLeaseMs,
      retryBaseMs: config.retryBaseMs,
      retryMaxMs: config.retryMaxMs,
      lookupScheduleMs: config.uncertainLookupScheduleMs,
      allowLoopbackProvider: config.allowLoopbackProvider,
      ...options,
    },
  );
}
