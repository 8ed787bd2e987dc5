import { request as httpRequest, type IncomingMessage } from 'node:http';
import { expect, it } from 'vitest';
import { createAdminToken } from '../src/auth/admin-tokens.js';
import type { Db } from '../src/db/database.js';
import { csvCell, EXPORT_COLUMNS, exportMessagesCsv } from '../src/messages/message-export.js';
import { seedMessages, type SeedMessage } from '../src/retention/seed.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i += 1;
      } else {
        field += c;
        i += 1;
      }
    } else if (c === '"') {
      quoted = true;
      i += 1;
    } else if (c === ',') {
      record.push(field);
      field = '';
      i += 1;
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else {
      field += c;
      i += 1;
    }
  }
  expect(field).toBe(''); // every record ends with CRLF
  return records;
}

const HEADER = EXPORT_COLUMNS.map(([name]) => name);
const col = (name: string) => HEADER.indexOf(name);

async function exportCsv(t: TestApp, query = '', headers: Record<string, string> = {}) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/messages/export${query}`,
    headers: { ...t.auth, ...headers },
  });
  return res;
}

const at = (minute: number) => `2026-11-25T10:${String(minute).padStart(2, '0')}:00.000Z`;

async function seed(db: Db, messages: Partial<SeedMessage>[]): Promise<string[]> {
  return seedMessages(
    db.kysely,
    messages.map((m, i) => ({ sandbox: 'prod', createdAt: at(i), status: 'delivered', ...m })),
  );
}

/** Serves the app on a real socket and opens the export, returning the response unread. */
async function openExport(t: TestApp): Promise<{ res: IncomingMessage; close: () => void }> {
  const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/api/v1/messages/export`, { headers: t.auth }, (res) =>
      resolve({ res, close: () => req.destroy() }),
    );
    req.on('error', reject);
    req.end();
  });
}

const pagesRead = (t: TestApp) => t.logs.lines.filter((l) => l.includes('messages export page'));

describeEachDialect('message export (CSV)', ({ db }) => {
  it('streams every message, newest first, with a header, as a CSV attachment', async () => {
    const t = await buildTestApp(db());
    const ids = await seed(db(), [{}, { status: 'failed' }, { status: 'queued' }]);
    const res = await exportCsv(t);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="messages-prod.csv"');
    const [header, ...rows] = parseCsv(res.body);
    expect(header).toEqual(HEADER);
    expect(rows.map((r) => r[col('id')])).toEqual([...ids].reverse());
    expect(rows.map((r) => r[col('status')])).toEqual(['queued', 'failed', 'delivered']);
    expect(rows[2]![col('createdAt')]).toBe(at(0));
    expect(rows[2]![col('segments')]).toBe('1');
    expect(rows[2]![col('statusReason')]).toBe(''); // null is an empty cell
    expect(t.logs.text).toContain('"rows":3');
    expect(t.logs.text).toContain('messages exported');
    await t.app.close();
  });

  it('takes the same filters as the list and refuses what the list would', async () => {
    const t = await buildTestApp(db());
    await seed(db(), [{}, { status: 'failed' }, {}, { status: 'failed' }, {}]);
    await db()
      .kysely.updateTable('messages')
      .set({ to_number: '+14155550100', channel_configuration_id: 'chan-b' })
      .where('created_at', '=', at(3))
      .execute();
    const ids = async (query: string) => {
      const [, ...rows] = parseCsv((await exportCsv(t, query)).body);
      const list = await t.app.inject({
        method: 'GET',
        url: `/api/v1/messages${query}${query ? '&' : '?'}limit=200`,
        headers: t.auth,
      });
      const listed = list.json<{ items: { id: string }[] }>().items.map((m) => m.id);
      const exported = rows.map((r) => r[col('id')]);
      expect(exported).toEqual(listed); // the list's filter code, the list's answer
      return rows.map((r) => r[col('createdAt')]);
    };
    expect(await ids('?status=failed')).toEqual([at(3), at(1)]);
    expect(await ids('?to=14155550100')).toEqual([at(3)]); // the list's "+" repair too
    expect(await ids('?channelConfigurationId=chan-b')).toEqual([at(3)]);
    expect(await ids(`?from=${at(1)}&until=${at(3)}`)).toEqual([at(2), at(1)]);
    expect(await ids('?status=failed&from=' + at(2))).toEqual([at(3)]);

    const bad = await exportCsv(t, '?status=nope&cursor=x');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { code: string } }>().error.code).toBe('validation_failed');
    expect(bad.body).toContain('status');
    expect(bad.body).toContain('cursor');
    await t.app.close();
  });

  it('lists a time window by creation time, page after page, even where ids disagree', async () => {
    const t = await buildTestApp(db());
    // Made in this order, created at minutes 3, 1, 4, 2, 0 (Tern's clock set back and forth):
    // id order is not creation order.
    const minutes = [3, 1, 4, 2, 0];
    const made = await seed(
      db(),
      minutes.map((m) => ({ createdAt: at(m) })),
    );
    const byMinute = new Map(minutes.map((m, i) => [m, made[i]!]));
    const window = `from=${at(1)}&until=${at(4)}`; // minutes 1, 2, 3
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 5; page++) {
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/v1/messages?${window}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        headers: t.auth,
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ items: { id: string }[]; nextCursor: string | null }>();
      seen.push(...body.items.map((m) => m.id));
      if (!body.nextCursor) break;
      cursor = body.nextCursor;
    }
    expect(seen).toEqual([3, 2, 1].map((m) => byMinute.get(m)));
    const [, ...rows] = parseCsv((await exportCsv(t, `?${window}`)).body);
    expect(rows.map((r) => r[col('id')])).toEqual(seen);
    // A cursor of another shape is refused, naming the parameter.
    const bad = await t.app.inject({
      method: 'GET',
      url: `/api/v1/messages?${window}&cursor=${Buffer.from('yesterday|x').toString('base64url')}`,
      headers: t.auth,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('/querystring/cursor');
    await t.app.close();
  });

  it('quotes per RFC 4180 and defuses spreadsheet formulas', async () => {
    const t = await buildTestApp(db());
    const [id] = await seed(db(), [{}]);
    const text = 'He said "hi", then\r\nleft\nagain';
    await db()
      .kysely.updateTable('messages')
      .set({
        text,
        callback_data: '=HYPERLINK("http://evil.test","click")',
        status_reason: '@SUM(A1)',
        idempotency_key: '-2+3+cmd',
        sender: '+Tern',
        media: JSON.stringify([{ url: 'https://x.test/a.png' }, { url: 'https://x.test/b,c.png' }]),
      })
      .where('id', '=', id!)
      .execute();
    const [, row] = parseCsv((await exportCsv(t)).body);
    expect(row![col('text')]).toBe(text);
    expect(row![col('callbackData')]).toBe(`'=HYPERLINK("http://evil.test","click")`);
    expect(row![col('statusReason')]).toBe("'@SUM(A1)");
    expect(row![col('idempotencyKey')]).toBe("'-2+3+cmd");
    expect(row![col('sender')]).toBe("'+Tern");
    expect(row![col('to')]).toMatch(/^\+4479111\d{5}$/); // a plain number stays as it is
    expect(row![col('media')]).toBe('https://x.test/a.png https://x.test/b,c.png');
    expect(row).toHaveLength(HEADER.length);

    expect(csvCell('a"b')).toBe('"a""b"');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('=1,1')).toBe(`"'=1,1"`);
    expect(csvCell('\tcmd')).toBe("'\tcmd");
    expect(csvCell('-12.5')).toBe('-12.5');
    expect(csvCell(null)).toBe('');
    expect(csvCell(3)).toBe('3');
    await t.app.close();
  });

  it("exports only the request's sandbox", async () => {
    const t = await buildTestApp(db());
    await t.services.sandboxes.ensure('other');
    const mine = await seed(db(), [{}, {}]);
    await seedMessages(db().kysely, [{ sandbox: 'other', createdAt: at(5), status: 'delivered' }]);
    const [, ...rows] = parseCsv((await exportCsv(t)).body);
    expect(rows.map((r) => r[col('id')]).sort()).toEqual([...mine].sort());
    const other = await exportCsv(t, '', { 'x-sandbox-name': 'other' });
    expect(parseCsv(other.body)).toHaveLength(2);
    expect(other.headers['content-disposition']).toContain('messages-other.csv');
    // A token limited to one sandbox cannot export another's log.
    const { token } = await createAdminToken(db(), t.clock, {
      name: 'other only',
      sandbox: 'other',
    });
    const refused = await t.app.inject({
      method: 'GET',
      url: '/api/v1/messages/export',
      headers: { authorization: `Bearer ${token}`, 'x-sandbox-name': 'prod' },
    });
    expect(refused.statusCode).toBe(404); // as every route: another sandbox is not there
    await t.app.close();
  });

  it('reads the pages lazily: 20,000 messages, and a paused client holds the query loop', async () => {
    const t = await buildTestApp(db(), { LOG_LEVEL: 'debug' });
    await seed(
      db(),
      Array.from({ length: 20_000 }, (_, i) => ({
        createdAt: new Date(Date.UTC(2026, 10, 1) + i).toISOString(),
      })),
    );
    // Fat rows (~1.1 kB of CSV each, 1.1 MB a page) so that the socket buffers cannot hide the pages.
    await db()
      .kysely.updateTable('messages')
      .set({ text: 'x'.repeat(1000) })
      .execute();
    const { res, close } = await openExport(t);
    expect(res.statusCode).toBe(200);
    res.pause();
    await new Promise((r) => setTimeout(r, 500));
    // The client read nothing: the server stopped after the pages the socket buffers hold.
    const whilePaused = pagesRead(t).length;
    expect(whilePaused).toBeGreaterThanOrEqual(1);
    expect(whilePaused).toBeLessThanOrEqual(6);
    // Reading it all takes the rest, page by page: the server never runs more than a few pages
    // (a few MB) ahead of what the client has taken, so its memory does not grow with the log.
    let bytes = 0;
    let lines = 0;
    let lead = 0;
    const pageBytes = 1_000 * 1_100;
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      for (const b of chunk) if (b === 0x0a) lines += 1;
      lead = Math.max(lead, pagesRead(t).length - Math.floor(bytes / pageBytes));
    });
    res.resume();
    await new Promise((resolve) => res.on('end', resolve));
    close();
    expect(lines).toBe(20_001);
    expect(bytes).toBeGreaterThan(20_000_000);
    expect(pagesRead(t).length).toBe(21); // 20 full pages and the empty one that ends it
    expect(lead).toBeLessThanOrEqual(6);
    await t.app.close();
  }, 60_000);

  it('stops reading pages when the client disconnects mid-stream', async () => {
    const t = await buildTestApp(db(), { LOG_LEVEL: 'debug' });
    await seed(
      db(),
      Array.from({ length: 10_000 }, (_, i) => ({
        createdAt: new Date(Date.UTC(2026, 10, 1) + i).toISOString(),
      })),
    );
    await db()
      .kysely.updateTable('messages')
      .set({ text: 'y'.repeat(1000) })
      .execute();
    const { res, close } = await openExport(t);
    await new Promise((resolve) => res.once('data', resolve));
    close();
    for (let i = 0; i < 100 && !t.logs.text.includes('messages export stopped'); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(t.logs.text).toContain('messages export stopped: the client went away');
    const pages = pagesRead(t).length;
    await new Promise((r) => setTimeout(r, 300));
    expect(pagesRead(t).length).toBe(pages); // no page read after the loop ended
    expect(pages).toBeLessThan(10);
    await t.app.close();
  }, 60_000);

  it('the generator reads a page only when the previous one was taken', async () => {
    await seed(
      db(),
      Array.from({ length: 25 }, () => ({})),
    );
    let pages = 0;
    const csv = exportMessagesCsv(
      db().kysely,
      'prod',
      {},
      { pageSize: 10, onPage: () => (pages += 1) },
    );
    expect((await csv.next()).value).toContain('id,createdAt');
    expect(pages).toBe(0);
    await csv.next();
    expect(pages).toBe(1);
    await csv.return();
    expect(pages).toBe(1);
  });
});
