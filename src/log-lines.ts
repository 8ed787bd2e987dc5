/**
 * pino's JSON lines rendered for a person at a terminal: one line per request (method, URL,
 * status, time) and `message key=value` for the rest. It reads the line pino has already
 * written, so redaction (paths and URLs) has been applied before anything is shown.
 */

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const COLOURS: Record<string, string> = { WARN: '\x1b[33m', ERROR: '\x1b[31m', FATAL: '\x1b[31m' };
/** What a log line never shows: pino's own bookkeeping, and what a request line already says. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg']);
const REQUEST_MESSAGES = new Set(['request completed', 'request errored']);

export interface LineOptions {
  colours: boolean;
}

/** One JSON log line as text, without a trailing newline; anything else is returned as it was. */
export function formatLogLine(json: string, options: LineOptions = { colours: false }): string {
  let entry: unknown;
  try {
    entry = JSON.parse(json);
  } catch {
    return printable(json.trimEnd());
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    return printable(json.trimEnd());
  const e = entry as Record<string, unknown>;
  const level = LEVELS[Number(e.level)] ?? 'INFO';
  const shownLevel = options.colours && COLOURS[level] ? `${COLOURS[level]}${level}\x1b[0m` : level;
  const head = `${clock(e.time)} ${shownLevel.padEnd(options.colours && COLOURS[level] ? 14 : 5)}`;
  const req = e.req as { method?: unknown; url?: unknown } | undefined;
  if (REQUEST_MESSAGES.has(String(e.msg)) && typeof req === 'object' && req !== null) {
    const status = (e.res as { statusCode?: unknown } | undefined)?.statusCode ?? '-';
    const time = typeof e.responseTime === 'number' ? `${e.responseTime.toFixed(1)} ms` : '-';
    const err = e.err === undefined ? '' : ` ${errorText(e.err)}`;
    return `${head} ${printable(String(req.method))} ${printable(String(req.url))} ${fieldText(status)} ${time}${err}`;
  }
  const fields = Object.entries(e)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${key === 'err' ? errorText(value) : fieldText(value)}`);
  const msg = typeof e.msg === 'string' ? printable(e.msg) : '';
  return [`${head} ${msg}`, ...fields].join(' ').trimEnd() + stack(e.err);
}

/** `HH:MM:SS.mmm` in local time: a terminal reader knows the day. */
function clock(time: unknown): string {
  const date = new Date(typeof time === 'number' ? time : Date.now());
  const two = (n: number) => String(n).padStart(2, '0');
  const ms = String(date.getMilliseconds()).padStart(3, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${ms}`;
}

function fieldText(value: unknown): string {
  if (typeof value === 'string')
    return /^[^\s"=]*$/.test(value) ? printable(value) : printable(JSON.stringify(value));
  return printable(JSON.stringify(value) ?? String(value));
}

function errorText(err: unknown): string {
  if (typeof err !== 'object' || err === null) return fieldText(err);
  const { type, message } = err as { type?: unknown; message?: unknown };
  return fieldText(
    `${typeof type === 'string' ? `${type}: ` : ''}${typeof message === 'string' ? message : JSON.stringify(message)}`,
  );
}

/** The error's stack on the lines below, indented, when pino's err serializer kept one. */
function stack(err: unknown): string {
  const text = (err as { stack?: unknown } | undefined)?.stack;
  if (typeof text !== 'string') return '';
  const lines = text.split('\n').slice(1);
  return lines.length === 0 ? '' : `\n${lines.map((l) => `    ${printable(l.trim())}`).join('\n')}`;
}

/** Control characters shown as `?`: a logged value may carry a caller's terminal escapes. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
