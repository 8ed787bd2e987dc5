/**
 * Fuzzed requests for every route of a running Tern, over real sockets: random and malformed
 * parameters, queries, headers (huge ones included) and bodies (garbage bytes, wrong
 * content-types, deep and wide JSON). The same generator runs a few per route in CI
 * (test/real-socket.test.ts) and thousands in bench/fuzz-real-sockets.ts.
 */
import fc from 'fast-check';
import { call, callStream, json, liveness, type Answer, type Call } from './real-http.js';
import type { Fixtures, RouteCase } from './route-cases.js';

const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-1',
    '1e309',
    'null',
    '[]',
    '../../etc/passwd',
    '%00',
    '\u0000',
    '\uD800',
    '💥'.repeat(50),
    'a' + ' '.repeat(5000) + 'a',
    'e\u0301'.repeat(500),
    '__proto__',
    'constructor',
    "' or 1=1 --",
    '+14155550171',
    '+' + '1'.repeat(200),
  ),
);

const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const wide = (keys: number) =>
  `{${Array.from({ length: keys }, (_, i) => `"k${i}":${i}`).join(',')}}`;

/** A body as sent on the wire, with the content-type it claims. */
const bodyArb = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc
    .dictionary(
      fc.constantFrom(
        'name',
        'text',
        'to',
        'url',
        'consent',
        'messages',
        'results',
        'optOutKeywords',
      ),
      fc.oneof(fc.jsonValue({ maxDepth: 2 }), nasty),
    )
    .map((v) => JSON.stringify(v)),
  fc.constantFrom(
    '{"__proto__":{"polluted":true},"name":"x"}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"a":',
    '{"a":1}{"b":2}',
    '\uFEFF{}',
    deep(5000),
    wide(20_000),
    'phone,consent\n+14155550178,subscribed\n',
    '"' + '""'.repeat(4000),
    'phone,consent\n' + ',"'.repeat(3000) + '\n',
  ),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
);

const contentTypeArb = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'text/csv',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/json' + '; x=y'.repeat(500),
  '',
  undefined,
);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Percent-encodes like encodeURIComponent; a lone surrogate becomes its WTF-8 bytes (%ED%A0%80). */
export function encodeLoose(value: string): string {
  return value.split(LONE_SURROGATE).map(encodeURIComponent).join('%ED%A0%80');
}

const headerValue = (v: string) => v.replace(/[^\x20-\x7e]/g, '?');

const requestArb = fc.record({
  params: fc.array(nasty, { minLength: 3, maxLength: 3 }),
  useKnownParams: fc.boolean(),
  query: fc.dictionary(
    fc.constantFrom(
      'limit',
      'cursor',
      'name',
      'status',
      'to',
      'from',
      'phone',
      'consent',
      'force',
      'types',
      'since',
      'attribute',
      'attributeValue',
      'lastEventId',
      'x',
    ),
    nasty,
    { maxKeys: 3 },
  ),
  auth: fc.constantFrom('valid', 'valid', 'none', 'garbage', 'lower', 'spaces', 'huge'),
  sandbox: fc.option(nasty, { nil: undefined }),
  ifMatch: fc.option(nasty, { nil: undefined }),
  lastEventId: fc.option(nasty, { nil: undefined }),
  requestId: fc.option(nasty, { nil: undefined }),
  hugeHeader: fc.constantFrom(0, 0, 0, 8_000, 15_000, 70_000),
  body: bodyArb,
  contentType: contentTypeArb,
});

type FuzzValues = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

export interface FuzzOutcome {
  route: string;
  label: string;
  answer?: Answer;
  /** What was wrong: a 5xx, no answer, a 4xx without the error shape. */
  problem?: string;
}

/** Builds one fuzzed request for a route from generated values. */
function fuzzCall(f: Fixtures, c: RouteCase, r: FuzzValues): Call {
  const [method, url] = c.route.split(' ') as [string, string];
  const known = [f.credentialId, f.channelId, f.messageId, f.inboundId, f.eventWebhookId, 'prod'];
  let i = 0;
  let path = url
    .replace(/:[A-Za-z]+/g, () =>
      encodeLoose(r.useKnownParams ? (known[i++ % known.length] ?? 'x') : (r.params[i++] ?? 'x')),
    )
    .replace('*', () => encodeLoose(r.params[0] ?? 'x'));
  // The webhook routes: a known credential with a wrong secret half the time, its own path otherwise.
  if (c.route.includes('/inbound/:secret') && r.useKnownParams) path = f.inboundPath;
  if (c.route.includes('/reports/:secret') && r.useKnownParams) path = f.reportsPath;
  const query = Object.entries(r.query)
    .map(([k, v]) => `${k}=${encodeLoose(v)}`)
    .join('&');
  const headers: Record<string, string> = {};
  const token = f.served.auth.authorization.slice('Bearer '.length);
  const auth: Record<string, string | undefined> = {
    valid: `Bearer ${token}`,
    none: undefined,
    garbage: 'Bearer \u0001garbage'.replace(/[^\x20-\x7e]/g, '?'),
    lower: `bearer ${token}`,
    spaces: `Bearer    ${token}   `,
    huge: `Bearer ${'t'.repeat(12_000)}`,
  };
  const authorization = auth[r.auth];
  if (authorization) headers.authorization = authorization;
  if (r.sandbox !== undefined) headers['x-sandbox-name'] = headerValue(r.sandbox);
  if (r.ifMatch !== undefined) headers['if-match'] = headerValue(r.ifMatch);
  if (r.lastEventId !== undefined) headers['last-event-id'] = headerValue(r.lastEventId);
  if (r.requestId !== undefined) headers['x-request-id'] = headerValue(r.requestId);
  if (r.hugeHeader > 0) headers['x-padding'] = 'p'.repeat(r.hugeHeader);
  if (r.contentType !== undefined) headers['content-type'] = r.contentType;
  const withBody = method !== 'GET' && method !== 'DELETE';
  return {
    method,
    path: query ? `${path}?${query}` : path,
    headers,
    ...(withBody ? { body: r.body } : {}),
  };
}

/** Whether an answer is acceptable for a fuzzed request; the problem otherwise. */
export function judge(answer: Answer): string | undefined {
  if (answer.status >= 500) return `${answer.status}: ${answer.text.slice(0, 300)}`;
  // Node's parser refusals (400, 413, 414, 431) reach Fastify's clientError handler before any
  // route or hook: its own JSON, without Tern's x-request-id. Every answer of Tern's has one.
  const type = String(answer.headers['content-type'] ?? '');
  if (answer.status >= 400 && type.includes('json') && answer.headers['x-request-id']) {
    const body = json<{ error?: { code?: string } }>(answer);
    if (!body?.error?.code)
      return `${answer.status} without {error:{code}}: ${answer.text.slice(0, 200)}`;
  }
  return undefined;
}

/**
 * Sends `perRoute` fuzzed requests to every case's route, one at a time; after each route's
 * batch checks that the process lives and /healthz answers within budget. Never throws: the
 * outcomes say what went wrong.
 */
export async function fuzzRoutes(
  f: Fixtures,
  cases: RouteCase[],
  perRoute: number,
  seed: number,
): Promise<{ sent: number; problems: FuzzOutcome[]; slowestMs: number }> {
  const problems: FuzzOutcome[] = [];
  let sent = 0;
  let slowestMs = 0;
  for (const [index, c] of cases.entries()) {
    const samples = fc.sample(requestArb, { numRuns: perRoute, seed: seed + index });
    for (const r of samples) {
      const request = fuzzCall(f, c, r);
      const label =
        `${request.method} ${request.path.slice(0, 120)} auth=${r.auth} type=${r.contentType} pad=${r.hugeHeader} body=${JSON.stringify(r.body.slice(0, 60))}`.slice(
          0,
          400,
        );
      sent++;
      try {
        const answer =
          c.route === 'GET /api/v1/events/stream'
            ? await callStream(f.served.base, request)
            : await call(f.served.base, request);
        slowestMs = Math.max(slowestMs, answer.ms);
        const problem = judge(answer);
        if (problem) problems.push({ route: c.route, label, answer, problem });
      } catch (error) {
        // A socket closed by the server after an answer it gave (431, 413) is not a failure.
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        if (
          !/other side closed|ECONNRESET|SocketError|EPIPE/.test(message) ||
          (await liveness(f.served)).ms > 100
        )
          problems.push({ route: c.route, label, problem: `no answer: ${message}` });
      }
    }
    const live = await liveness(f.served);
    if (!live.alive || live.ms > 100)
      problems.push({
        route: c.route,
        label: 'after the batch',
        problem: `alive=${live.alive}, /healthz ${live.ms.toFixed(1)} ms`,
      });
    if (!live.alive) break;
  }
  return { sent, problems, slowestMs };
}
