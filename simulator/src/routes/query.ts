/** Query-string helpers for the GET routes. */
import type { Violation } from '../errors.js';
import { parseInfobipTime } from '../time.js';

export type Query = Record<string, string | string[] | undefined>;

/** A list parameter: repeated (`?messageId=a&messageId=b`) or comma-separated. */
export function queryList(q: Query, key: string): string[] | undefined {
  const value = q[key];
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(','));
  const list = items.map((s) => s.trim()).filter((s) => s !== '');
  return list.length > 0 ? list : undefined;
}

export function queryString(q: Query, key: string): string | undefined {
  const value = q[key];
  return Array.isArray(value) ? value[0] : value;
}

/** `limit`: default 50, at most 1000 (infobip.md §4.4). */
export function queryLimit(q: Query, violations: Violation[]): number {
  const text = queryString(q, 'limit');
  if (text === undefined) return 50;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    violations.push({ property: 'limit', violation: 'must be an integer between 1 and 1000' });
    return 50;
  }
  return n;
}

export function queryTime(q: Query, key: string, violations: Violation[]): number | undefined {
  const text = queryString(q, key);
  if (text === undefined) return undefined;
  const at = parseInfobipTime(text);
  if (Number.isNaN(at)) {
    violations.push({
      property: key,
      violation: 'must be a date in the format yyyy-MM-ddTHH:mm:ss.SSSZ',
    });
    return undefined;
  }
  return at;
}
