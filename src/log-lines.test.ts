import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { requestLogController } from './http/request-log.js';
import { formatLogLine } from './log-lines.js';
import { createLogger } from './logger.js';

/** A stream that says it is a terminal, as process.stdout does when Tern runs in one. */
function fakeTerminal() {
  const lines: string[] = [];
  return { lines, stream: { isTTY: true, write: (chunk: string) => void lines.push(chunk) } };
}

it('a request completed line is one line: time, level, method, URL, status and time taken', () => {
  const line = formatLogLine(
    JSON.stringify({
      level: 30,
      time: new Date(2026, 11, 1, 19, 53, 2, 7).getTime(),
      pid: 1,
      hostname: 'h',
      reqId: 'r1',
      req: { id: 'r1', method: 'GET', url: '/api/v1/me?token=[redacted]' },
      res: { statusCode: 200 },
      responseTime: 3.14159,
      msg: 'request completed',
    }),
  );
  expect(line).toBe('19:53:02.007 INFO  GET /api/v1/me?token=[redacted] 200 3.1 ms');
});

it('other lines show the message and their fields; escapes a caller put in a value are not sent to the terminal', () => {
  const line = formatLogLine(
    JSON.stringify({ level: 40, time: 0, msg: 'odd \u001b[2Jinput', count: 2, name: 'a b' }),
  );
  expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}odd \?\[2Jinput count=2 name="a b"$/);
  expect(formatLogLine('not json\n')).toBe('not json');
});

it('at a terminal, Fastify logs one redacted line per request; pino still redacts every field', async () => {
  const terminal = fakeTerminal();
  const logger = createLogger('info', terminal.stream);
  const app = Fastify({ loggerInstance: logger, logController: requestLogController(logger) });
  app.get('/x', () => ({ ok: true }));
  await app.inject({
    url: '/x?token=query-secret',
    headers: { authorization: 'Bearer header-secret' },
  });
  logger.info({ apiKey: 'key-secret', credential: { secret: 's3' } }, 'saved');
  await app.close();
  const text = terminal.lines.join('');
  const requests = terminal.lines.filter((l) => l.includes(' GET '));
  expect(requests).toHaveLength(1);
  expect(requests[0]).toMatch(
    /^\d\d:\d\d:\d\d\.\d{3} INFO {2}GET \/x\?token=\[redacted\] 200 \d+\.\d ms\n$/,
  );
  expect(text).toContain('saved apiKey=[redacted] credential={"secret":"[redacted]"}');
  expect(text).not.toMatch(/query-secret|header-secret|key-secret|s3"/);
  expect(text).not.toContain('incoming request');
});

it('to a stream that is not a terminal, the lines stay pino JSON, both request lines included', async () => {
  const lines: string[] = [];
  const logger = createLogger('info', { write: (chunk: string) => void lines.push(chunk) });
  const app = Fastify({ loggerInstance: logger, logController: requestLogController(logger) });
  app.get('/x', () => ({ ok: true }));
  await app.inject({ url: '/x' });
  await app.close();
  const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
  expect(messages).toContain('incoming request');
  expect(messages).toContain('request completed');
});
