import type { Clock } from '../clock.js';
import type { Executor } from '../db/executor.js';
import { insertRows } from '../db/prepared.js';
import { newId } from '../ids.js';

/**
 * The event types Tern emits. `message.status_changed` is written by the send path;
 * `segment.entered`/`segment.left` by the live-segment loop (audiences/); the rest by the inbound
 * engine and the profiles API.
 */
export type EventType =
  | 'inbound.received'
  | 'consent.changed'
  | 'profile.keyword'
  | 'profile.deleted'
  | 'profile.updated'
  | 'double_opt_in.requested'
  | 'double_opt_in.expired'
  | 'message.status_changed'
  | 'message.held'
  | 'message.released'
  | 'segment.entered'
  | 'segment.left'
  | 'campaign.started'
  | 'campaign.paused'
  | 'campaign.resumed'
  | 'campaign.completed'
  | 'campaign.cancelled'
  | 'flow.run.started'
  | 'flow.run.ended'
  | 'flow.webhook'
  | 'approval.requested'
  | 'approval.decided';

export interface NewEvent {
  sandbox: string;
  type: EventType;
  /** Any JSON value; readers get it back as written. */
  payload: Record<string, unknown>;
}

/** An event as the stream and the webhooks deliver it. */
export interface TernEvent {
  id: string;
  sandbox: string;
  type: EventType;
  at: string;
  payload: Record<string, unknown>;
}

/**
 * Appends events inside the caller's transaction, so an event exists exactly when the change it
 * describes is committed. Returns the ids (UUIDv7: time-ordered, the stream's resume cursor).
 */
export async function recordEvents(
  db: Executor,
  clock: Clock,
  events: NewEvent[],
): Promise<string[]> {
  if (events.length === 0) return [];
  const at = clock.now().toISOString();
  const rows = events.map((e) => ({
    sandbox: e.sandbox,
    id: newId(),
    type: e.type,
    payload: JSON.stringify(e.payload),
    at,
  }));
  // 5 columns a row: 1,000 rows stay far below SQLite's bound-parameter limit.
  for (let i = 0; i < rows.length; i += 1000)
    await insertRows(db, 'events', rows.slice(i, i + 1000));
  return rows.map((r) => r.id);
}

/** Appends one event inside the caller's transaction; returns its id. */
export async function recordEvent(db: Executor, clock: Clock, event: NewEvent): Promise<string> {
  const [id] = await recordEvents(db, clock, [event]);
  return id!;
}

/**
 * Events of a sandbox after `afterId` (exclusive), oldest first, at most `limit`, and, with
 * `maxBytes`, no more payload than that (counted in characters; always at least one event, so
 * a reader never stalls on one larger than the bound). The sizes are read first, so a batch of
 * large events is never loaded only to be cut.
 */
export async function eventsAfter(
  db: Executor,
  sandbox: string,
  afterId: string | null,
  options: { limit: number; maxBytes?: number; beforeId?: string; types?: readonly string[] },
): Promise<TernEvent[]> {
  const base = () => {
    let select = db.selectFrom('events').where('sandbox', '=', sandbox);
    if (afterId !== null) select = select.where('id', '>', afterId);
    if (options.beforeId !== undefined) select = select.where('id', '<', options.beforeId);
    if (options.types && options.types.length > 0)
      select = select.where('type', 'in', options.types);
    return select;
  };
  let lastId: string | undefined;
  let limit = options.limit;
  if (options.maxBytes !== undefined) {
    const sizes = await base()
      .select((eb) => ['id', eb.fn<number | string>('length', ['payload']).as('size')])
      .orderBy('id')
      .limit(options.limit)
      .execute();
    let total = 0;
    let fit = 0;
    for (const row of sizes) {
      total += Number(row.size);
      if (fit > 0 && total > options.maxBytes) break;
      fit++;
      lastId = row.id;
    }
    if (lastId === undefined) return [];
    limit = fit;
  }
  let select = base().selectAll();
  if (lastId !== undefined) select = select.where('id', '<=', lastId);
  const rows = await select.orderBy('id').limit(limit).execute();
  return rows.map((r) => ({
    id: r.id,
    sandbox: r.sandbox,
    type: r.type as EventType,
    at: r.at,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
  }));
}

/** The id of a sandbox's newest event, or null when it has none. */
export async function latestEventId(db: Executor, sandbox: string): Promise<string | null> {
  const row = await db
    .selectFrom('events')
    .select('id')
    .where('sandbox', '=', sandbox)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.id ?? null;
}

/**
 * The smallest UUIDv7 of a given millisecond: every id made before `ms` sorts below it. The
 * stream uses it to hold back events that may still have uncommitted older neighbours.
 */
export function idBoundary(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}
