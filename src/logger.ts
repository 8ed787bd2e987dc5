import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';
import { formatLogLine } from './log-lines.js';

export type { Logger };

/**
 * Paths pino blanks before a line is written. Secrets must never reach a log: API keys, tokens,
 * webhook secrets and Authorization headers, at the depths where Tern's objects carry them.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'apiKey',
  'token',
  'secret',
  'password',
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.secret',
  '*.password',
  '*.webhookSecret',
  '*.*.apiKey',
  '*.*.token',
  '*.*.secret',
  // The single-sign-on client secret (config.oidc.clientSecret), should a config be logged.
  'clientSecret',
  '*.clientSecret',
  '*.*.clientSecret',
];

/** Query parameters named in a log line, and the length of each name: a URL is caller input. */
const MAX_LOGGED_PARAMS = 20;
const MAX_LOGGED_NAME = 64;

/**
 * The URL as logged: the secret segment of webhook URLs (`/webhooks/infobip/:id/:kind/:secret`)
 * masked, and every query value replaced by `[redacted]`: a query may carry a phone number, a
 * cursor or a token a client put there, and only the names help to read a log.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const masked = path.replace(/^(\/webhooks\/.*\/)[^/]+(\/?)$/, '$1[redacted]$2');
  if (q === -1) return masked;
  const names = url
    .slice(q + 1)
    .split('&', MAX_LOGGED_PARAMS + 1)
    .filter((pair) => pair !== '')
    .map((pair) => pair.split('=', 1)[0]?.slice(0, MAX_LOGGED_NAME) ?? '');
  const shown = names.slice(0, MAX_LOGGED_PARAMS).map((name) => `${name}=[redacted]`);
  if (names.length > MAX_LOGGED_PARAMS) shown.push('…');
  return `${masked}?${shown.join('&')}`;
}

/** Loggers that write for a person at a terminal: Fastify logs one line per request for them. */
const terminalLoggers = new WeakSet<Logger>();

/** True when `logger` writes lines for a terminal (src/http/request-log.ts asks). */
export function writesForTerminal(logger: object): boolean {
  return terminalLoggers.has(logger as Logger);
}

/**
 * pino with Tern's redaction. It writes JSON (to `destination`, or stdout), unchanged for log
 * shippers and tests, except when that stream is a terminal: then each line is rendered for a
 * person (src/log-lines.ts) after pino has redacted it. `terminal` overrides the guess: a worker
 * thread's stdout is a pipe to the main thread's, never a TTY, whatever the main thread writes to.
 */
export function createLogger(
  level: LogLevel,
  destination?: pino.DestinationStream,
  options: { terminal?: boolean } = {},
): Logger {
  const target = (destination ?? process.stdout) as pino.DestinationStream & { isTTY?: boolean };
  const terminal = options.terminal ?? target.isTTY === true;
  const colours = terminal && process.env.NO_COLOR === undefined;
  const logger = pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { method: string; url: string; id: string }) => ({
          id: req.id,
          method: req.method,
          url: redactUrl(req.url),
        }),
      },
    },
    terminal
      ? { write: (line: string) => target.write(`${formatLogLine(line, { colours })}\n`) }
      : destination,
  );
  if (terminal) terminalLoggers.add(logger);
  return logger;
}
