import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createAdminToken } from '../../src/auth/admin-tokens.js';
import { ManualClock } from '../../src/clock.js';
import { parseConfig, type Config } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';

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

export interface TestApp {
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
export async function buildTestApp(db: Db, env: Record<string, string> = {}): Promise<TestApp> {
  const config = parseConfig({ LOG_LEVEL: 'info', TERN_PUBLIC_URL: 'http://tern.test', ...env });
  const clock = new ManualClock('2026-11-25T12:00:00.000Z');
  const logs = new LogCapture();
  const logger = createLogger(config.logLevel, logs);
  const { token } = await createAdminToken(db, clock, { name: 'test' });
  const app = await buildApp({ config, db, clock, logger });
  return { app, config, clock, logs, token, auth: { authorization: `Bearer ${token}` } };
}
