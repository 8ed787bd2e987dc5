import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

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
];

/** Masks the secret segment of webhook URLs (`/webhooks/infobip/:id/:kind/:secret`). */
export function redactUrl(url: string): string {
  return url.replace(/^(\/webhooks\/[^?]*\/)[^/?]+(\/?(\?.*)?)$/, '$1[redacted]$2');
}

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
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
    destination,
  );
}
