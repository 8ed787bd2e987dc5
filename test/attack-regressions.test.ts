/**
 * The two single requests that took the whole process down in the attack run (issue 12, rows 1
 * and 2), replayed over a real socket: `inject()` never builds a request stream, which is how
 * the suite stayed green while both hung the process.
 */
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { afterEach, expect, it } from 'vitest';
import { INBOUND_TEXT_MAX_LENGTH } from '../src/providers/infobip/webhooks.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { ALICE, BOB, createInboundCredential, moBody, moResult } from './helpers/inbound.js';

let t: TestApp | undefined;

afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

async function listening(db: Parameters<typeof buildTestApp>[0]): Promise<string> {
  t = await buildTestApp(db);
  return t.app.listen({ port: 0, host: '127.0.0.1' });
}

/** `/healthz` over the socket, with how long it took in ms. */
async function healthz(base: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await request(`${base}/healthz`);
  await res.body.dump();
  return { status: res.statusCode, ms: performance.now() - started };
}

function postCsv(base: string, auth: Record<string, string>, body: string | Buffer) {
  return request(`${base}/api/v1/profiles/consent.csv`, {
    method: 'POST',
    headers: { ...auth, 'x-sandbox-name': 'prod', 'content-type': 'text/csv' },
    body,
  });
}

describeEachDialect('attack regressions over a real socket', ({ db }) => {
  it('row 1: the consent CSV import answers over a socket (it hung the process at 100 % CPU)', async () => {
    const base = await listening(db());
    const started = performance.now();
    const res = await postCsv(base, t!.auth, `phone,consent\n${ALICE},subscribed\n`);
    const body = (await res.body.json()) as Record<string, unknown>;
    expect(res.statusCode, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ rows: 1, changed: 1, rejected: 0 });
    expect(performance.now() - started).toBeLessThan(2000);
    expect((await healthz(base)).status).toBe(200);
  });

  it('row 1: NUL, over-long lines and notes are rejected per row; the other rows import', async () => {
    const base = await listening(db());
    const csv = [
      'phone,consent,note',
      `${ALICE},subscribed,ok`,
      `${BOB},subscribed,bad\u0000note`,
      `+1415555${'0'.repeat(5000)},subscribed,`,
      `+14155550126,subscribed,${'n'.repeat(2001)}`,
      '',
    ].join('\n');
    const res = await postCsv(base, t!.auth, csv);
    const body = (await res.body.json()) as {
      rows: number;
      changed: number;
      rejections: { line: number; reason: string }[];
    };
    expect(res.statusCode, JSON.stringify(body)).toBe(200);
    expect(body.rows).toBe(4);
    expect(body.changed).toBe(1);
    expect(body.rejections.map((r) => [r.line, r.reason])).toEqual([
      [3, 'contains a NUL character'],
      [4, 'line longer than 4096 characters'],
      [5, 'note longer than 2000 characters'],
    ]);
  });

  it('row 1: one endless CSV line is not buffered whole; NUL in a JSON body is still refused', async () => {
    const base = await listening(db());
    const endless = Buffer.concat([Buffer.from('phone,consent\n'), Buffer.alloc(8 << 20, 'x')]);
    const res = await postCsv(base, t!.auth, endless);
    const body = (await res.body.json()) as { rows: number; rejected: number };
    expect(res.statusCode).toBe(200);
    expect(body).toMatchObject({ rows: 1, rejected: 1 });

    const nul = await request(`${base}/api/v1/profiles/${encodeURIComponent(ALICE)}/consent`, {
      method: 'PUT',
      headers: { ...t!.auth, 'x-sandbox-name': 'prod', 'content-type': 'application/json' },
      body: JSON.stringify({ consent: 'subscribed', note: 'a\u0000b' }),
    });
    const refused = (await nul.body.json()) as { error: { code: string } };
    expect(nul.statusCode).toBe(400);
    expect(refused.error.code).toBe('validation_failed');
  });

  it('row 2: a text of 120,000 spaces between two letters is classified at once; the event loop stays free', async () => {
    const base = await listening(db());
    const cred = await createInboundCredential(t!);
    const texts = [
      'a' + ' '.repeat(120_000) + 'a',
      ' '.repeat(200_000) + 'STOP' + '!'.repeat(200_000),
      '\u{1F600}'.repeat(50_000) + 'x',
    ];
    for (const [i, text] of texts.entries()) {
      const probe = healthz(base);
      const started = performance.now();
      const res = await request(`${base}${cred.webhook}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(moBody(moResult(ALICE, text, { messageId: `long-${i}` }))),
      });
      const elapsed = performance.now() - started;
      const body = (await res.body.json()) as { processed: number };
      expect(res.statusCode, JSON.stringify(body)).toBe(200);
      expect(body.processed).toBe(1);
      // Budget over loopback, JSON parsing of ~1 MB included; it took 21.7 s before.
      expect(elapsed).toBeLessThan(500);
      const probed = await probe;
      expect(probed.status).toBe(200);
      expect(probed.ms).toBeLessThan(500);
    }
    // Stored truncated to the bound, with the original length in the raw copy.
    const rows = await db()
      .kysely.selectFrom('inbound_messages')
      .select(['provider_message_id', 'text', 'raw', 'category'])
      .orderBy('provider_message_id')
      .execute();
    expect(rows.map((r) => r.text.length)).toEqual(
      [122_002, 400_004, 100_001].map((n) => Math.min(n, INBOUND_TEXT_MAX_LENGTH)),
    );
    expect(rows.map((r) => r.category)).toEqual(['none', 'none', 'none']);
    expect(JSON.parse(rows[0]!.raw)).toMatchObject({ ternTruncatedFrom: 120_002 });
  });

  it('what the HTTP parser refuses is answered in the error shape, then the connection closed', async () => {
    const base = await listening(db());
    const { port } = new URL(base);
    const exchange = (raw: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.end(raw));
        let answer = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (answer += chunk));
        socket.on('error', reject);
        socket.on('close', () => resolve(answer));
      });
    const huge = await exchange(
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(huge).toMatch(/^HTTP\/1.1 431 /);
    expect(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4))).toMatchObject({
      error: { code: 'headers_too_large' },
    });
    const malformed = await exchange('NOT HTTP AT ALL\r\n\r\n');
    expect(malformed).toMatch(/^HTTP\/1.1 400 /);
    expect(malformed).toContain('"code":"validation_failed"');
    expect((await healthz(base)).status).toBe(200);
  });
});
