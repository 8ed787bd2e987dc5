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
import { checkInfobipConnection } from '../../src/providers/infobip/connection-check.js';
import { createServices, type Services } from '../../src/services.js';

/** Collects every log line the app writes, so tests can assert on (and scan) them. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
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
  checkInfobipConnection({ baseUrl, apiKey, allowLoopback: true });

export interface TestApp {
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
  const logs = new LogCapture();
  const logger = createLogger(config.logLevel, logs);
  const { token } = await createAdminToken(db, clock, { name: 'test' });
  const services = createServices({ config, db, clock, keyring: TEST_KEYRING, checkConnection });
  await services.sandboxes.ensure('prod');
  const app = await buildApp({ config, db, clock, logger, services });
  return { app, config, clock, logs, services, token, auth: { authorization: `Bearer ${token}` } };
}
