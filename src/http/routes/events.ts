import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { eventsAfter, idBoundary, latestEventId } from '../../events/events.js';
import { SESSION_KEY, StreamSlots, TokenLiveness } from '../../events/stream-guard.js';
import type { App } from '../app-type.js';
import { errorResponses } from '../schemas.js';

export interface EventStreamOptions {
  /** How often each stream looks for new events. */
  pollMs?: number;
  /**
   * Events younger than this are held back. On PostgreSQL transactions commit in any order, so
   * an event with an older id may appear after a newer one was streamed; holding back the last
   * second (transactions here are far shorter) keeps the id cursor from skipping it. SQLite
   * commits one transaction at a time, in id order: no hold-back needed.
   */
  settleMs?: number;
  /** Open streams per process; more get 503. */
  maxStreams?: number;
  /** Open streams per admin token (`TERN_EVENT_STREAMS_PER_TOKEN`); more get 429. */
  maxStreamsPerToken?: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs?: number;
  /** Event payload one read of the events table may load (characters), besides 200 events. */
  batchBytes?: number;
  /** A client that reads nothing for this long while its socket buffer is full is dropped. */
  stallMs?: number;
  /** How often a stream checks that its token is still valid; a revoked token's streams end. */
  tokenCheckMs?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BATCH = 200;
// 1 MiB of payload per read: 14 clients resuming before 2 MB events held 4.6 GB when a read
// was 200 events of any size, all written at once whatever the socket took.
const BATCH_BYTES = 1024 * 1024;

/**
 * `GET /api/v1/events/stream`: the sandbox's events as Server-Sent Events. Each event carries
 * its id; a client reconnecting with `Last-Event-ID` (or `?lastEventId=`) gets what it missed.
 * Without one the stream starts at the newest event. Memory per stream is bounded: reads of at
 * most 200 events and `batchBytes`, and nothing more is written while the socket buffer is full
 * (a client that does not read for `stallMs` is dropped; it resumes with Last-Event-ID). The
 * token is checked again every `tokenCheckMs`; all streams end when the app closes.
 */
export function eventRoutes(
  api: App,
  deps: { db: Db; clock?: Clock; options?: EventStreamOptions },
): void {
  const db = deps.db.kysely;
  const o = deps.options ?? {};
  const pollMs = o.pollMs ?? 500;
  const settleMs = o.settleMs ?? (deps.db.capabilities.multiProcess ? 1000 : 0);
  const heartbeatMs = o.heartbeatMs ?? 15_000;
  const batchBytes = o.batchBytes ?? BATCH_BYTES;
  const stallMs = o.stallMs ?? 30_000;
  const tokenCheckMs = o.tokenCheckMs ?? 5_000;
  const slots = new StreamSlots(o.maxStreams ?? 200, o.maxStreamsPerToken ?? 10);
  const liveness = new TokenLiveness(deps.db, tokenCheckMs, deps.clock);
  const open = new Set<() => void>();

  api.addHook('preClose', (done) => {
    for (const close of [...open]) close();
    done();
  });

  api.get(
    '/v1/events/stream',
    {
      schema: {
        tags: ['events'],
        summary: 'Stream events (Server-Sent Events)',
        description:
          'text/event-stream of inbound.received, consent.changed, profile.keyword, double_opt_in.*, profile.deleted and message.status_changed events. Resume with the Last-Event-ID header (or lastEventId query). Filter with types=a,b. A token may hold a limited number of open streams (429 beyond); a stream whose token is revoked ends with a stream_closed event.',
        querystring: Type.Object(
          {
            lastEventId: Type.Optional(Type.String({ maxLength: 36 })),
            types: Type.Optional(Type.String({ maxLength: 500, description: 'Comma-separated' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Unknown({ description: 'text/event-stream' }),
          ...errorResponses(400, 401, 404, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const header = request.headers['last-event-id'];
      const given = (Array.isArray(header) ? header[0] : header) ?? request.query.lastEventId;
      if (given !== undefined && given !== '' && !UUID.test(given)) {
        throw new AppError('validation_failed', 'Last-Event-ID is not an event id.', [
          { path: '/headers/last-event-id', message: 'must be the id of an event you received' },
        ]);
      }
      // A console session is its own caller: its streams end when it is revoked or expires.
      const p = request.principal;
      const session = p.kind === 'user';
      const tokenId = p.kind === 'user' ? `${SESSION_KEY}${p.sessionId}` : p.id;
      const slot = slots.take(tokenId);
      if (!slot.ok) {
        if (slot.reason === 'token_full') {
          throw new AppError(
            'rate_limited',
            `This token already has ${slots.perToken} open event streams, as many as one token may hold. Close one, or use another token.`,
            [{ path: '/headers/authorization', message: `at most ${slots.perToken} open streams` }],
          );
        }
        throw new AppError('unavailable', 'Too many open event streams; try again later.');
      }
      let released = false;
      const release = () => {
        if (!released) slots.release(tokenId);
        released = true;
      };
      let cursor: string | null;
      try {
        cursor =
          given !== undefined && given !== '' ? given : await latestEventId(db, request.sandbox);
      } catch (error) {
        release();
        throw error;
      }
      const types = request.query.types
        ?.split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const sandbox = request.sandbox;

      reply.hijack();
      const res: ServerResponse = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      res.write('retry: 2000\n\n');

      let closed = false;
      let timer: NodeJS.Timeout | undefined;
      let lastWrite = Date.now();
      const wakeWaiters = new Set<() => void>();
      const close = () => {
        if (closed) return;
        closed = true;
        clearTimeout(timer);
        clearInterval(tokenCheck);
        open.delete(close);
        release();
        for (const wake of wakeWaiters) wake();
        res.end();
      };
      const tokenCheck = setInterval(() => {
        liveness.isActive(tokenId).then(
          (active) => {
            if (active || closed) return;
            request.log.info({ tokenId }, 'event stream closed: its token is no longer valid');
            const data = JSON.stringify({
              reason: 'unauthorized',
              message: session
                ? 'The session has ended: sign in again.'
                : 'The admin token is no longer valid.',
            });
            res.write(`event: stream_closed\ndata: ${data}\n\n`);
            close();
          },
          (error: unknown) => request.log.warn({ err: error }, 'event stream token check failed'),
        );
      }, tokenCheckMs);
      open.add(close);
      request.raw.on('close', close);
      res.on('error', close);

      /** Resolves when the client has read what is buffered; false (and closes) when it stalls. */
      const drained = () =>
        new Promise<boolean>((resolve) => {
          const done = (ok: boolean) => {
            clearTimeout(stall);
            res.off('drain', onDrain);
            wakeWaiters.delete(onClose);
            resolve(ok);
          };
          const onDrain = () => done(true);
          const onClose = () => done(false);
          const stall = setTimeout(() => {
            request.log.info({ stallMs }, 'event stream dropped: the client stopped reading');
            done(false);
            close();
            // Its buffered bytes go too: ending alone would queue the end behind them.
            res.destroy();
          }, stallMs);
          res.on('drain', onDrain);
          wakeWaiters.add(onClose);
        });

      const poll = async (): Promise<void> => {
        if (closed) return;
        let more = false;
        try {
          const events = await eventsAfter(db, sandbox, cursor, {
            limit: BATCH,
            maxBytes: batchBytes,
            ...(settleMs > 0 ? { beforeId: idBoundary(Date.now() - settleMs) } : {}),
            ...(types && types.length > 0 ? { types } : {}),
          });
          for (const event of events) {
            // Backpressure: one event at most beyond the socket's buffer, never a whole batch.
            if (res.writableNeedDrain && !(await drained())) return;
            if (closed) return;
            res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
            cursor = event.id;
            lastWrite = Date.now();
          }
          if (!closed && !res.writableNeedDrain && Date.now() - lastWrite >= heartbeatMs) {
            res.write(': keep-alive\n\n');
            lastWrite = Date.now();
          }
          more = events.length > 0 && (events.length === BATCH || res.writableNeedDrain);
          if (res.writableNeedDrain && !closed && !(await drained())) return;
        } catch (error) {
          request.log.error({ err: error }, 'event stream poll failed');
        }
        if (!closed) timer = setTimeout(() => void poll(), more ? 0 : pollMs);
      };
      await poll();
    },
  );
}
