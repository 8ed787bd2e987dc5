import { expect, it } from 'vitest';
import { insertRows, prepare } from '../src/db/prepared.js';
import { describeEachDialect } from './helpers/databases.js';

const event = (id: string, type = 'inbound.received') => ({
  sandbox: 'prod',
  id,
  type,
  payload: JSON.stringify({ id }),
  at: '2026-11-25T12:00:00.000Z',
});

const eventsOfType = prepare<{ sandbox: string; type: string }, { id: string }>((db, param) =>
  db
    .selectFrom('events')
    .select('id')
    .where('sandbox', '=', param('sandbox'))
    .where('type', '=', param('type'))
    .orderBy('id')
    .limit(2),
);

describeEachDialect('prepared queries', ({ db }) => {
  it('insertRows writes rows of one shape, one row or many, and reuses the compiled SQL', async () => {
    await insertRows(db().kysely, 'events', [event('e1')]);
    await insertRows(db().kysely, 'events', [event('e2'), event('e3', 'consent.changed')]);
    await insertRows(db().kysely, 'events', [event('e4'), event('e5')]); // same shape again
    await insertRows(db().kysely, 'events', []);
    const rows = await db().kysely.selectFrom('events').selectAll().orderBy('id').execute();
    expect(rows).toEqual([
      event('e1'),
      event('e2'),
      event('e3', 'consent.changed'),
      event('e4'),
      event('e5'),
    ]);
  });

  it('stores a missing or undefined value as null', async () => {
    await insertRows(db().kysely, 'message_events', [
      {
        sandbox: 'prod',
        id: 'h1',
        message_id: 'm1',
        at: '2026-11-25T12:00:00.000Z',
        status: 'queued',
        reason: undefined,
        report: null,
      },
    ]);
    const row = await db()
      .kysely.selectFrom('message_events')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row.reason).toBeNull();
  });

  it('prepare runs one compiled query with each call’s parameters, in and out of a transaction', async () => {
    await insertRows(db().kysely, 'events', [event('e1'), event('e2', 'other'), event('e3')]);
    expect(await eventsOfType(db().kysely, { sandbox: 'prod', type: 'inbound.received' })).toEqual([
      { id: 'e1' },
      { id: 'e3' },
    ]);
    expect(await eventsOfType(db().kysely, { sandbox: 'prod', type: 'other' })).toEqual([
      { id: 'e2' },
    ]);
    expect(await eventsOfType(db().kysely, { sandbox: 'test', type: 'other' })).toEqual([]);
    await db()
      .kysely.transaction()
      .execute(async (trx) => {
        await insertRows(trx, 'events', [event('e4', 'other')]);
        expect(await eventsOfType(trx, { sandbox: 'prod', type: 'other' })).toEqual([
          { id: 'e2' },
          { id: 'e4' },
        ]);
      });
  });

  it('writes integer limits into the SQL and binds everything else', () => {
    const compiled = db()
      .kysely.selectFrom('events')
      .select('id')
      .where('type', '=', 'x')
      .orderBy('id', 'desc')
      .limit(1)
      .compile();
    expect(compiled.sql).toMatch(/limit 1$/);
    expect(compiled.parameters).toEqual(['x']);
    // Anything but a non-negative safe integer stays a bound parameter.
    const odd = db().kysely.selectFrom('events').select('id').limit(1.5).compile();
    expect(odd.parameters).toEqual([1.5]);
  });
});
