import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createAdminToken } from '../../src/auth/admin-tokens.js';
import { ManualClock } from '../../src/clock.js';
import { parseConfig, type Config } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import type { CredentialServiceDeps } from '../../src/credentials/credential.service.js';
import { Keyring, secretKey } from '../../src/crypto/secret-box.js';
import { createLogger } from '../../src/logger.js';
import { verifyConnection } from '../../src/providers/registry.js';
import { createServices, type Services } from '../../src/services.js';
import { recordAnswers, recordOutput, recordSecret, recordStored } from './leak-record.js';

const LEVELS: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

/**
 * Collects every log line the app writes, so tests can assert on (and scan) them. The logger
 * writes at every level (for the suite-wide secrets scan, which reads all of them); `lines`
 * keeps those at the configured level or above, which is what the test asked for.
 */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  constructor(private readonly minLevel = 0) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      recordOutput('log', line);
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? Infinity);
      if (level >= this.minLevel) this.lines.push(line);
    }
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

/** One fixed key for every test, so stored ciphertexts can be checked against it. */
export const TEST_KEYRING = new Keyring(secretKey(Buffer.alloc(32, 0x42)));

/** The real provider check, through the SSRF guard; tests point credentials at the simulator. */
const checkConnection: CredentialServiceDeps['checkConnection'] = (baseUrl, apiKey) =>
  verifyConnection('infobip', { baseUrl, apiKey, allowLoopback: true });

export interface TestApp {
  /** The test database the app runs over. */
  db: Db;
  services: Services;
  app: FastifyInstance;
  config: Config;
  clock: ManualClock;
  logs: LogCapture;
  /** A valid admin token for every sandbox. */
  token: string;
  /** Headers carrying that token. */
  auth: { authorization: string };
}

/** Builds the real app over a test database, with a stored admin token and captured logs. */
export async function buildTestApp(
  db: Db,
  env: Record<string, string> = {},
  clock = new ManualClock('2026-11-25T12:00:00.000Z'),
): Promise<TestApp> {
  // Load shedding off unless a test turns it on: a busy test machine must not turn requests into 503s.
  const config = parseConfig({
    LOG_LEVEL: 'info',
    TERN_PUBLIC_URL: 'http://tern.test',
    TERN_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env,
  });
  const logs = new LogCapture(LEVELS[config.logLevel]);
  const logger = createLogger('trace', logs);
  const { token } = await createAdminToken(db, clock, { name: 'test' });
  recordSecret('admin_token', token);
  recordSecret('admin_token', config.adminToken);
  recordSecret('admin_token', config.metricsToken); // a bearer token too: never put out
  const services = createServices({ config, db, clock, keyring: TEST_KEYRING, checkConnection });
  await services.sandboxes.ensure('prod');
  const app = await buildApp({ config, db, clock, logger, services });
  // The suite-wide secrets scan (helpers/leak-scan.ts): every answer, and at close the audit
  // rows, the metrics and the secrets stored in this database.
  recordAnswers(app);
  app.addHook('onClose', async () => {
    await recordStored(db, services, TEST_KEYRING).catch((error: unknown) =>
      recordOutput('log', `secrets scan: could not read the stored secrets: ${String(error)}`),
    );
  });
  return {
    db,
    app,
    config,
    clock,
    logs,
    services,
    token,
    auth: { authorization: `Bearer ${token}` },
  };
}
