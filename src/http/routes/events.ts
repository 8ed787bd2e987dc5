import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { eventsAfter, idBoundary, latestEventId } from '../../events/events.js';
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
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BATCH = 200;

/**
 * `GET /api/v1/events/stream`: the sandbox's events as Server-Sent Events. Each event carries
 * its id; a client reconnecting with `Last-Event-ID` (or `?lastEventId=`) gets what it missed.
 * Without one the stream starts at the newest event. Streams poll the events table (bounded
 * batches, paused while the client is slow) and all end when the app closes.
 */
export function eventRoutes(api: App, deps: { db: Db; options?: EventStreamOptions }): void {
  const db = deps.db.kysely;
  const pollMs = deps.options?.pollMs ?? 500;
  const settleMs = deps.options?.settleMs ?? (deps.db.capabilities.multiProcess ? 1000 : 0);
  const maxStreams = deps.options?.maxStreams ?? 200;
  const heartbeatMs = deps.options?.heartbeatMs ?? 15_000;
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
          'text/event-stream of inbound.received, consent.changed, profile.keyword, double_opt_in.*, profile.deleted and message.status_changed events. Resume with the Last-Event-ID header (or lastEventId query). Filter with types=a,b.',
        querystring: Type.Object(
          {
            lastEventId: Type.Optional(Type.String({ maxLength: 36 })),
            types: Type.Optional(Type.String({ maxLength: 500, description: 'Comma-separated' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Unknown({ description: 'text/event-stream' }),
          ...errorResponses(400, 401, 404, 503),
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
      if (open.size >= maxStreams) {
        throw new AppError('unavailable', 'Too many open event streams; try again later.');
      }
      const types = request.query.types
        ?.split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const sandbox = request.sandbox;
      let cursor: string | null =
        given !== undefined && given !== '' ? given : await latestEventId(db, sandbox);

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
      const close = () => {
        if (closed) return;
        closed = true;
        clearTimeout(timer);
        open.delete(close);
        res.end();
      };
      open.add(close);
      request.raw.on('close', close);
      res.on('error', close);

      const poll = async (): Promise<void> => {
        if (closed) return;
        let more = false;
        try {
          const events = await eventsAfter(db, sandbox, cursor, {
            limit: BATCH,
            ...(settleMs > 0 ? { beforeId: idBoundary(Date.now() - settleMs) } : {}),
            ...(types && types.length > 0 ? { types } : {}),
          });
          let writable = true;
          for (const event of events) {
            if (closed) return;
            writable = res.write(
              `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`,
            );
            cursor = event.id;
            lastWrite = Date.now();
          }
          if (!closed && Date.now() - lastWrite >= heartbeatMs) {
            writable = res.write(': keep-alive\n\n');
            lastWrite = Date.now();
          }
          more = events.length === BATCH;
          // A slow client: wait until it has read what it has before reading more.
          if (!writable && !closed) {
            await new Promise<void>((resolve) => {
              res.once('drain', resolve);
              res.once('close', resolve);
            });
          }
        } catch (error) {
          request.log.error({ err: error }, 'event stream poll failed');
        }
        if (!closed) timer = setTimeout(() => void poll(), more ? 0 : pollMs);
      };
      await poll();
    },
  );
}
