import { AppError } from '../errors.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** A page of a list, with the cursor for the next page (null on the last one). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Cursors are opaque to clients: the base64url of the last id seen (ids are time-ordered). */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9a-f-]{36}$/.test(id)) throw invalidCursor();
  return id;
}

function invalidCursor(): AppError {
  return new AppError('validation_failed', 'The cursor is not valid.', [
    { path: '/querystring/cursor', message: 'use the nextCursor of a previous page' },
  ]);
}

/** A keyset position in a list ordered by creation time, then id (newest first). */
export interface TimeMark {
  createdAt: string;
  id: string;
}

/** A cursor for a list ordered by creation time: the base64url of `createdAt|id`. */
export function encodeTimeCursor(mark: TimeMark): string {
  return Buffer.from(`${mark.createdAt}|${mark.id}`, 'utf8').toString('base64url');
}

/**
 * The position a time cursor names. A plain id cursor (from a page of the same list before
 * time cursors) is taken as the id alone.
 */
export function decodeTimeCursor(
  cursor: string | undefined,
): TimeMark | { id: string } | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  // An ISO time (24), a bar and an id (36) make 61 characters: 84 in base64url.
  const text = cursor.length > 100 ? '' : Buffer.from(cursor, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  if (bar < 0) return { id: decodeCursor(cursor)! };
  const createdAt = text.slice(0, bar);
  const id = text.slice(bar + 1);
  if (!/^[0-9a-f-]{36}$/.test(id) || !/^\d{4}-\d{2}-\d{2}T[\d:.]{8,12}Z$/.test(createdAt))
    throw invalidCursor();
  return { createdAt, id };
}

/** Rows fetched with `limit + 1` → the page and whether more follow. */
export function toPage<Row extends { id: string }, T>(
  rows: Row[],
  limit: number,
  map: (row: Row) => T,
  cursorOf: (row: Row) => string = (row) => encodeCursor(row.id),
): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(map), nextCursor: more && last ? cursorOf(last) : null };
}
