/**
 * The server's field errors placed on a nested form: each detail goes to the deepest rendered
 * slot its JSON-pointer path lies under (`/window/days/mon/0/end` under that day's end time,
 * `/window/days/mon` under the day), and what no slot takes is kept for the form's banner, so
 * no message the server sent is lost.
 */
import { ApiError, type ErrorDetail } from '../../api';

export interface PlacedErrors {
  bySlot: Record<string, string>;
  rest: string[];
}

const norm = (path: string | undefined) => {
  const p = (path ?? '').trim();
  return p === '' ? '' : p.startsWith('/') ? p : `/${p}`;
};

export function placeErrors(details: ErrorDetail[], slots: readonly string[]): PlacedErrors {
  const bySlot: Record<string, string> = {};
  const rest: string[] = [];
  const sorted = [...slots].sort((a, b) => b.length - a.length);
  for (const detail of details) {
    const path = norm(detail.path);
    const slot = sorted.find((s) => path === s || path.startsWith(`${s}/`));
    if (slot === undefined) rest.push(path ? `${path}: ${detail.message}` : detail.message);
    else if (bySlot[slot] === undefined) bySlot[slot] = detail.message;
    else bySlot[slot] = `${bySlot[slot]} ${detail.message}`;
  }
  return { bySlot, rest };
}

/** The details of an API error (none for a network failure or another error). */
export function detailsOf(error: unknown): ErrorDetail[] {
  return error instanceof ApiError ? error.details : [];
}
