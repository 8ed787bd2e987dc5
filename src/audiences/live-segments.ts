import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { DialectName } from '../db/dialect.js';
import type { Executor } from '../db/executor.js';
import {
  eventsAfter,
  idBoundary,
  latestEventId,
  recordEvents,
  type NewEvent,
  type TernEvent,
} from '../events/events.js';
import { PollLoop } from '../poll-loop.js';
import { audienceProfiles } from './audience.js';
import { liveSegments, type Segment } from './audience.repository.js';
import { FAILED_STATUSES } from './rule-sql.js';

/**
 * Live segments: membership kept in `segment_members`, and `segment.entered` / `segment.left`
 * emitted (in the transaction that changes it) when a profile's change moves it in or out.
 *
 * The loop reads each sandbox's new events after a stored cursor, collects the profiles they
 * touch (a keyword texted, consent changed, an attribute set by an automation, a text
 * received, a delivery settled, an erasure),
 * and re-evaluates every live segment of the sandbox for those profiles with the segment's own
 * compiled query restricted to their ids: one query per segment per batch, never a loop over
 * profiles in JavaScript. Re-evaluating is idempotent (a diff against the stored members), so
 * reading an event twice is harmless; that is how PostgreSQL's out-of-order commits are met: the
 * cursor stays {@link SETTLE_MS} behind, and events newer than it are read again (skipped when
 * already handled by this process).
 *
 * Known limit: time-relative leaves (`within: 30d`) change with the clock alone; the loop
 * re-evaluates a profile only when an event touches it.
 */
export const LIVE_POLL_MS = 100;
/** Events read per sandbox per step. */
const BATCH = 1000;
/** PostgreSQL: how far the cursor stays behind the newest event (see above). */
const SETTLE_MS = 1000;

const DELIVERY_STATUSES = new Set<string>(['delivered', ...FAILED_STATUSES]);

/** The profiles an event may move in or out of a segment: ids, and phones to look up. */
function touched(event: TernEvent): { ids: string[]; phones: string[]; erased: string[] } {
  const p = event.payload;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? [v] : []);
  switch (event.type) {
    case 'profile.deleted':
      return { ids: [], phones: [], erased: str(p.profileId) };
    case 'profile.keyword':
      return { ids: str((p.profile as { id?: unknown } | undefined)?.id), phones: [], erased: [] };
    case 'consent.changed':
    case 'profile.updated':
    case 'double_opt_in.requested':
    case 'double_opt_in.expired':
      return { ids: str(p.profileId), phones: str(p.phone), erased: [] };
    case 'inbound.received':
      return { ids: str(p.profileId), phones: str(p.from), erased: [] };
    case 'message.status_changed':
      return DELIVERY_STATUSES.has(String(p.status))
        ? { ids: [], phones: str(p.to), erased: [] }
        : { ids: [], phones: [], erased: [] };
    default:
      return { ids: [], phones: [], erased: [] };
  }
}

/**
 * Re-evaluates `segments` (live, of one sandbox) for the given profiles and records the
 * differences, inside the caller's transaction. Erased profiles leave every segment.
 */
export async function reevaluate(
  trx: Executor,
  clock: Clock,
  dialect: DialectName,
  sandbox: string,
  segments: Segment[],
  profileIds: string[],
  erasedIds: string[],
): Promise<number> {
  const now = clock.now();
  const at = now.toISOString();
  const events: NewEvent[] = [];
  for (const segment of segments) {
    const candidates = [...new Set([...profileIds, ...erasedIds])];
    if (candidates.length === 0) continue;
    const query = await audienceProfiles(trx, sandbox, { rule: segment.rule }, { dialect, now });
    const matching = new Map<string, string>();
    if (profileIds.length > 0)
      for (const row of await query
        .where('profiles.id', 'in', profileIds)
        .clearSelect()
        .select(['profiles.id', 'profiles.phone'])
        .execute())
        matching.set(row.id, row.phone);
    const current = new Set(
      (
        await trx
          .selectFrom('segment_members')
          .select('profile_id')
          .where('sandbox', '=', sandbox)
          .where('segment_id', '=', segment.id)
          .where('profile_id', 'in', candidates)
          .execute()
      ).map((r) => r.profile_id),
    );
    // RETURNING says which rows this transaction changed: another process re-evaluating the
    // same profile at once (PostgreSQL, several `tern serve`) then emits nothing twice.
    const candidatesIn = [...matching.keys()].filter((id) => !current.has(id));
    const candidatesOut = [...current].filter((id) => !matching.has(id));
    const entered =
      candidatesIn.length === 0
        ? []
        : (
            await trx
              .insertInto('segment_members')
              .values(
                candidatesIn.map((id) => ({
                  sandbox,
                  segment_id: segment.id,
                  profile_id: id,
                  entered_at: at,
                })),
              )
              .onConflict((oc) => oc.columns(['sandbox', 'segment_id', 'profile_id']).doNothing())
              .returning('profile_id')
              .execute()
          ).map((r) => r.profile_id);
    const left =
      candidatesOut.length === 0
        ? []
        : (
            await trx
              .deleteFrom('segment_members')
              .where('sandbox', '=', sandbox)
              .where('segment_id', '=', segment.id)
              .where('profile_id', 'in', candidatesOut)
              .returning('profile_id')
              .execute()
          ).map((r) => r.profile_id);
    const phones = left.length > 0 ? await phonesOf(trx, sandbox, left) : new Map<string, string>();
    for (const id of entered)
      events.push({
        sandbox,
        type: 'segment.entered',
        payload: {
          segmentId: segment.id,
          segmentName: segment.name,
          profileId: id,
          phone: matching.get(id) ?? null,
        },
      });
    for (const id of left)
      events.push({
        sandbox,
        type: 'segment.left',
        // An erased profile's phone is gone with it (as in profile.deleted): null.
        payload: {
          segmentId: segment.id,
          segmentName: segment.name,
          profileId: id,
          phone: phones.get(id) ?? null,
        },
      });
  }
  await recordEvents(trx, clock, events);
  return events.length;
}

async function phonesOf(
  db: Executor,
  sandbox: string,
  ids: string[],
): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('profiles')
    .select(['id', 'phone'])
    .where('sandbox', '=', sandbox)
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.id, r.phone]));
}

/**
 * Makes a segment's stored membership its rule's current result, silently (no events: a new or
 * edited live segment starts from a snapshot, not from a burst of one event per member), and
 * makes sure its sandbox has a cursor. One INSERT … SELECT.
 */
export async function fillMembership(
  trx: Executor,
  clock: Clock,
  dialect: DialectName,
  segment: Segment,
): Promise<void> {
  const { sandbox } = segment;
  await trx
    .deleteFrom('segment_members')
    .where('sandbox', '=', sandbox)
    .where('segment_id', '=', segment.id)
    .execute();
  const now = clock.now();
  const query = await audienceProfiles(trx, sandbox, { rule: segment.rule }, { dialect, now });
  await trx
    .insertInto('segment_members')
    .columns(['sandbox', 'segment_id', 'profile_id', 'entered_at'])
    .expression(
      query.clearSelect().select([
        // cast(): PostgreSQL cannot type a bare parameter in a SELECT list.
        sql<string>`cast(${sandbox} as text)`.as('sandbox'),
        sql<string>`cast(${segment.id} as text)`.as('segment_id'),
        'profiles.id',
        sql<string>`cast(${now.toISOString()} as text)`.as('entered_at'),
      ]),
    )
    .execute();
  const cursor = await trx
    .selectFrom('segment_cursors')
    .select('cursor')
    .where('sandbox', '=', sandbox)
    .executeTakeFirst();
  if (!cursor) {
    const latest = await latestEventId(trx, sandbox);
    await trx
      .insertInto('segment_cursors')
      .values({ sandbox, cursor: latest ?? idBoundary(0) })
      .execute();
  }
}

/** The background loop of live segments (started by the server beside the other loops). */
export class LiveSegmentLoop {
  private readonly loop: PollLoop;
  /** Events newer than a cursor already handled by this process (PostgreSQL's settle window). */
  private readonly handled = new Map<string, Set<string>>();
  private readonly settleMs: number;

  constructor(
    private readonly deps: { db: Db; clock: Clock; onError: (error: unknown) => void },
    options: { pollMs?: number; settleMs?: number } = {},
  ) {
    const pollMs = options.pollMs ?? LIVE_POLL_MS;
    this.settleMs = options.settleMs ?? (deps.db.capabilities.multiProcess ? SETTLE_MS : 0);
    this.loop = new PollLoop(async () => ((await this.step()) ? 0 : pollMs), deps.onError, 1000);
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass over every sandbox with live segments; true when a batch was full (more wait). */
  async step(): Promise<boolean> {
    const { db } = this.deps;
    const segments = await liveSegments(db.kysely);
    const bySandbox = new Map<string, Segment[]>();
    for (const s of segments) bySandbox.set(s.sandbox, [...(bySandbox.get(s.sandbox) ?? []), s]);
    let more = false;
    for (const [sandbox, list] of bySandbox) more = (await this.stepSandbox(sandbox, list)) || more;
    return more;
  }

  private async stepSandbox(sandbox: string, segments: Segment[]): Promise<boolean> {
    // Ids are made from the wall clock (ids.ts), so the settle window is measured on it too.
    const { db, clock } = this.deps;
    const row = await db.kysely
      .selectFrom('segment_cursors')
      .select('cursor')
      .where('sandbox', '=', sandbox)
      .executeTakeFirst();
    const cursor = row?.cursor ?? idBoundary(0);
    const handled = this.handled.get(sandbox) ?? new Set<string>();
    const read = await eventsAfter(db.kysely, sandbox, cursor, { limit: BATCH });
    if (read.length === 0) return false;
    const full = read.length >= BATCH;
    const events = read.filter((e) => !handled.has(e.id));
    const last = read[read.length - 1]!.id;
    // A full batch moves the cursor to its end (the window cannot be re-read in one batch).
    const boundary = this.settleMs > 0 && !full ? idBoundary(Date.now() - this.settleMs) : last;
    const next = last < boundary ? last : boundary > cursor ? boundary : cursor;
    const ids = new Set<string>();
    const phones = new Set<string>();
    const erased = new Set<string>();
    for (const event of events) {
      const t = touched(event);
      t.ids.forEach((id) => ids.add(id));
      t.phones.forEach((p) => phones.add(p));
      t.erased.forEach((id) => erased.add(id));
    }
    if (events.length > 0 || next > cursor)
      await db.kysely.transaction().execute(async (trx) => {
        const byPhone =
          phones.size > 0
            ? await trx
                .selectFrom('profiles')
                .select('id')
                .where('sandbox', '=', sandbox)
                .where('phone', 'in', [...phones])
                .execute()
            : [];
        byPhone.forEach((r) => ids.add(r.id));
        for (const id of erased) ids.delete(id);
        if (ids.size > 0 || erased.size > 0)
          await reevaluate(
            trx,
            clock,
            db.capabilities.name,
            sandbox,
            segments,
            [...ids],
            [...erased],
          );
        await trx
          .insertInto('segment_cursors')
          .values({ sandbox, cursor: next })
          .onConflict((oc) => oc.column('sandbox').doUpdateSet({ cursor: next }))
          .execute();
      });
    const kept = new Set([...handled, ...events.map((e) => e.id)].filter((id) => id > next));
    this.handled.set(sandbox, kept);
    return full;
  }
}
