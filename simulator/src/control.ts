/**
 * The control API, under `/__sim` (no Infobip path starts with `/__`): observe what the
 * simulator received and sent, inject inbound texts and faults, change outcomes, reset.
 * No authentication: the simulator is a local test tool. Errors use Tern's own shape
 * `{"error":{"code","message","details"}}`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Engine } from './engine.js';
import { checkFaultSpec } from './faults.js';
import { addressKind, type InboundMmsInput } from './inbound.js';
import { checkBatchSize, checkRateLimit, type RateLimit } from './options.js';
import { checkScopes, SENDING_SCOPES, type Scope } from './scopes.js';
import { checkOutcomeRules, isOutcomeName } from './outcomes.js';
import { phonePage } from './phone-page.js';
import type { SimMessage } from './store.js';
import { isObject } from './validation.js';

export const CONTROL_PREFIX = '/__sim';

type Q = Record<string, string | undefined>;

function problem(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  details: string[] = [],
) {
  return reply.code(status).send({ error: { code, message, details } });
}

function limitOf(q: Q, fallback: number): number {
  const n = Number(q.limit);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** The newest `limit` entries matching `keep`, oldest first. */
function newest<T>(items: readonly T[], keep: (item: T) => boolean, limit: number): T[] {
  const out: T[] = [];
  for (let i = items.length - 1; i >= 0 && out.length < limit; i--) {
    const item = items[i]!;
    if (keep(item)) out.push(item);
  }
  return out.reverse();
}

export function registerControl(app: FastifyInstance, engine: Engine): void {
  const p = CONTROL_PREFIX;

  app.get(p, () => ({
    routes: [
      'GET /__sim/state',
      'GET /__sim/requests',
      'GET /__sim/messages',
      'GET /__sim/messages/:messageId',
      'GET /__sim/posts',
      'GET /__sim/duplicates',
      'POST /__sim/inbound',
      'GET /__sim/inbound',
      'POST /__sim/inbound/mms',
      'GET /__sim/inbound/mms',
      'GET|PUT|DELETE /__sim/numbers[/:number]',
      'GET|PUT|DELETE /__sim/mms-numbers[/:number]',
      'GET|PUT|DELETE /__sim/keys[/:key]',
      'GET|PUT /__sim/settings',
      'GET|POST|DELETE /__sim/faults[/:id]',
      'GET|PUT /__sim/outcomes',
      'PUT /__sim/balance',
      'POST /__sim/reports/flush',
      'POST /__sim/reset',
      'GET /__sim/phone',
    ],
  }));

  app.get(`${p}/state`, () => ({
    messages: engine.store.messages.length,
    requests: engine.store.requests.all().length,
    posts: engine.store.posts.all().length,
    duplicateCount: engine.store.duplicateCount,
    pendingReports: engine.reports.pending,
    pendingRetries: engine.webhooks.pendingRetries,
    pullReports: { sms: engine.reports.pull.sms.length, mms: engine.reports.pull.mms.length },
    inbox: engine.inbound.inbox.length,
    balance: engine.balance,
    faults: engine.faults.list,
  }));

  app.get(`${p}/requests`, (request) => {
    const q = request.query as Q;
    return newest(
      engine.store.requests.all(),
      (r) =>
        (q.path === undefined || r.path.startsWith(q.path)) &&
        (q.method === undefined || r.method === q.method.toUpperCase()),
      limitOf(q, 1000),
    );
  });

  app.get(`${p}/messages`, (request) => {
    const q = request.query as Q;
    const keep = (m: SimMessage) =>
      (q.to === undefined || m.to === q.to) &&
      (q.from === undefined || m.from === q.from) &&
      (q.messageId === undefined || m.messageId === q.messageId) &&
      (q.bulkId === undefined || m.bulkId === q.bulkId) &&
      (q.status === undefined || m.status.name === q.status || m.status.groupName === q.status);
    return newest(engine.store.messages, keep, limitOf(q, 1000));
  });

  app.get(`${p}/messages/:messageId`, (request, reply) => {
    const { messageId } = request.params as { messageId: string };
    const m = engine.store.byId.get(messageId);
    return m ?? problem(reply, 404, 'not_found', `No message ${messageId}`);
  });

  app.get(`${p}/posts`, (request) => {
    const q = request.query as Q;
    return newest(
      engine.store.posts.all(),
      (post) =>
        (q.kind === undefined || post.kind === q.kind) &&
        (q.url === undefined || post.url === q.url),
      limitOf(q, 1000),
    );
  });

  app.get(`${p}/duplicates`, () => ({
    count: engine.store.duplicateCount,
    messageIds: engine.store.duplicateIds,
  }));

  app.post(`${p}/inbound`, (request, reply) => {
    const body = request.body;
    const problems: string[] = [];
    if (!isObject(body)) problems.push('body must be an object');
    else {
      checkAddresses(body, problems);
      if (typeof body.text !== 'string' || body.text.length > MAX_TEXT) {
        problems.push(`text must be a string of at most ${MAX_TEXT} characters`);
      }
    }
    if (problems.length > 0 || !isObject(body)) {
      return problem(reply, 400, 'invalid_request', 'Invalid inbound text', problems);
    }
    const record = engine.inbound.inject({
      from: body.from as string,
      to: body.to as string,
      text: body.text as string,
    });
    return reply.code(201).send(record);
  });

  app.get(`${p}/inbound`, (request) => {
    const q = request.query as Q;
    return newest(
      engine.inbound.received,
      (r) =>
        (q.from === undefined || r.message.from === q.from) &&
        (q.to === undefined || r.message.to === q.to),
      limitOf(q, 1000),
    );
  });

  app.post(`${p}/inbound/mms`, (request, reply) => {
    const { input, problems } = checkInboundMms(request.body);
    if (!input) return problem(reply, 400, 'invalid_request', 'Invalid inbound MMS', problems);
    return reply.code(201).send(engine.inbound.injectMms(input));
  });

  app.get(`${p}/inbound/mms`, (request) => {
    const q = request.query as Q;
    return newest(
      engine.inbound.receivedMms,
      (r) =>
        (q.from === undefined || r.message.from === q.from) &&
        (q.to === undefined || r.message.to === q.to),
      limitOf(q, 1000),
    );
  });

  const numberRoutes = (
    path: string,
    set: (n: string, url: string | null) => void,
    map: Map<string, string | null>,
  ) => {
    app.get(`${p}/${path}`, () => Object.fromEntries(map));
    app.put(`${p}/${path}/:number`, (request, reply) => {
      const { number } = request.params as { number: string };
      const body = request.body;
      const url = isObject(body) ? body.forwardUrl : undefined;
      if (url !== null && typeof url !== 'string') {
        return problem(reply, 400, 'invalid_request', 'forwardUrl must be a URL string or null');
      }
      if (number.length > MAX_ADDRESS || addressKind(number.replace(/^\+/, '')) === undefined) {
        return problem(reply, 400, 'invalid_request', ADDRESS_RULE.replace('{field}', 'number'));
      }
      set(number, url);
      return { number: number.replace(/^\+(?=\d+$)/, ''), forwardUrl: url };
    });
    app.delete(`${p}/${path}/:number`, (request, reply) => {
      const { number } = request.params as { number: string };
      map.delete(number.replace(/^\+(?=\d+$)/, ''));
      return reply.code(204).send();
    });
  };
  numberRoutes('numbers', (n, url) => engine.inbound.setNumber(n, url), engine.inbound.numbers);
  numberRoutes(
    'mms-numbers',
    (n, url) => engine.inbound.setMmsNumber(n, url),
    engine.inbound.mmsNumbers,
  );

  app.get(`${p}/keys`, () => engine.auth.list());

  /** Creates a key or replaces its scopes; without `scopes`, the sending scopes. */
  app.put(`${p}/keys/:key`, (request, reply) => {
    const { key } = request.params as { key: string };
    const body = request.body;
    const scopes = isObject(body) && body.scopes !== undefined ? body.scopes : SENDING_SCOPES;
    const problems = checkScopes(scopes, 'scopes');
    if (key.length === 0 || key.length > MAX_KEY)
      problems.push(`key must be 1..${MAX_KEY} characters`);
    if (problems.length > 0)
      return problem(reply, 400, 'invalid_request', 'Invalid API key', problems);
    engine.auth.setKey(key, scopes as Scope[]);
    return { key, scopes };
  });

  app.delete(`${p}/keys/:key`, (request, reply) => {
    const { key } = request.params as { key: string };
    if (!engine.auth.removeKey(key)) return problem(reply, 404, 'not_found', 'No such API key');
    return reply.code(204).send();
  });

  app.get(`${p}/settings`, () => settingsOf(engine));

  /** Strictness knobs at run time: logs lag and throttle, duplicate ids, report batch size. */
  app.put(`${p}/settings`, (request, reply) => {
    const body = request.body;
    if (!isObject(body)) return problem(reply, 400, 'invalid_request', 'body must be an object');
    const problems: string[] = [];
    const { logsLagMs, logsRateLimit, duplicateMessageIds, reportBatchSize } = body;
    if (logsLagMs !== undefined && !(typeof logsLagMs === 'number' && logsLagMs >= 0)) {
      problems.push('logsLagMs must be a number >= 0');
    }
    if (logsRateLimit !== undefined) {
      try {
        if (logsRateLimit !== false && !isObject(logsRateLimit)) throw new Error();
        checkRateLimit(logsRateLimit as RateLimit | false, 'logsRateLimit');
      } catch {
        problems.push('logsRateLimit must be false or {requests >= 1 (integer), windowMs > 0}');
      }
    }
    if (
      duplicateMessageIds !== undefined &&
      duplicateMessageIds !== 'reject' &&
      duplicateMessageIds !== 'accept'
    ) {
      problems.push('duplicateMessageIds must be reject or accept');
    }
    if (reportBatchSize !== undefined && !checkBatchSize(reportBatchSize)) {
      problems.push('reportBatchSize must be an integer in 1..2000');
    }
    if (problems.length > 0)
      return problem(reply, 400, 'invalid_request', 'Invalid settings', problems);
    const o = engine.options;
    if (typeof logsLagMs === 'number') o.logsLagMs = logsLagMs;
    if (logsRateLimit !== undefined) {
      const limit =
        logsRateLimit === false ? false : { ...(logsRateLimit as unknown as RateLimit) };
      o.logsRateLimit = limit;
      engine.logsThrottle.limit = limit;
      engine.logsThrottle.clear();
    }
    if (duplicateMessageIds === 'reject' || duplicateMessageIds === 'accept') {
      o.duplicateMessageIds = duplicateMessageIds;
    }
    if (typeof reportBatchSize === 'number') {
      o.reportBatchSize = reportBatchSize;
      engine.reports.settings.batchSize = reportBatchSize;
    }
    return settingsOf(engine);
  });

  app.get(`${p}/faults`, () => engine.faults.list);

  app.post(`${p}/faults`, (request, reply) => {
    const { spec, problems } = checkFaultSpec(request.body);
    if (!spec || problems.length > 0) {
      return problem(reply, 400, 'invalid_request', 'Invalid fault', problems);
    }
    return reply.code(201).send(engine.faults.add(spec));
  });

  app.delete(`${p}/faults`, (_request, reply) => {
    engine.faults.clear();
    return reply.code(204).send();
  });

  app.delete(`${p}/faults/:id`, (request, reply) => {
    const { id } = request.params as { id: string };
    if (!engine.faults.remove(Number(id))) {
      return problem(reply, 404, 'not_found', `No fault ${id}`);
    }
    return reply.code(204).send();
  });

  app.get(`${p}/outcomes`, () => ({
    rules: engine.outcomes.list,
    defaultOutcome: engine.outcomes.defaultOutcome,
  }));

  app.put(`${p}/outcomes`, (request, reply) => {
    const body = request.body;
    if (!isObject(body)) return problem(reply, 400, 'invalid_request', 'body must be an object');
    const { rules, problems } = checkOutcomeRules(body.rules ?? engine.outcomes.list);
    if (body.defaultOutcome !== undefined && !isOutcomeName(body.defaultOutcome)) {
      problems.push('defaultOutcome must be an outcome name');
    }
    if (!rules || problems.length > 0) {
      return problem(reply, 400, 'invalid_request', 'Invalid outcome rules', problems);
    }
    engine.outcomes.replace(
      rules,
      isOutcomeName(body.defaultOutcome) ? body.defaultOutcome : undefined,
    );
    return { rules: engine.outcomes.list, defaultOutcome: engine.outcomes.defaultOutcome };
  });

  app.put(`${p}/balance`, (request, reply) => {
    const body = request.body;
    if (!isObject(body) || typeof body.balance !== 'number') {
      return problem(reply, 400, 'invalid_request', 'balance must be a number');
    }
    engine.balance = body.balance;
    return { balance: engine.balance };
  });

  app.post(`${p}/reports/flush`, async () => {
    await engine.reports.flush();
    return { flushed: true };
  });

  app.post(`${p}/reset`, () => {
    engine.reset();
    return { reset: true };
  });

  app.get(`${p}/phone`, (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(phonePage()),
  );

  /** Everything the phone page shows for one number. */
  app.get(`${p}/phone/conversation`, (request) => {
    const q = request.query as Q;
    const number = q.number ?? '';
    const received = newest(engine.store.messages, (m) => m.to === number, 200).map((m) => ({
      direction: 'received' as const,
      at: m.acceptedAt,
      peer: m.from ?? '',
      text: m.text,
      status: m.status.name,
    }));
    const sent = newest(engine.inbound.received, (r) => r.message.from === number, 200).map(
      (r) => ({
        direction: 'sent' as const,
        at: Date.parse(r.message.receivedAt.replace(/(\d{2})(\d{2})$/, '$1:$2')),
        peer: r.message.to,
        text: r.message.text,
        status: r.forwardUrl ? 'FORWARDED' : 'WAITING_FOR_PULL',
      }),
    );
    return [...received, ...sent].sort((a, b) => a.at - b.at);
  });

  /** Numbers that received texts (newest first) and the account's inbound numbers. */
  app.get(`${p}/phone/numbers`, () => {
    const phones: string[] = [];
    const seen = new Set<string>();
    const all = engine.store.messages;
    for (let i = all.length - 1; i >= 0 && phones.length < 200; i--) {
      const to = all[i]!.to;
      if (!seen.has(to)) {
        seen.add(to);
        phones.push(to);
      }
    }
    return { phones, inboundNumbers: [...engine.inbound.numbers.keys()] };
  });
}

function settingsOf(engine: Engine) {
  const o = engine.options;
  return {
    logsLagMs: o.logsLagMs,
    logsRateLimit: o.logsRateLimit,
    duplicateMessageIds: o.duplicateMessageIds,
    reportBatchSize: o.reportBatchSize,
  };
}

/** Bounds of control inputs (a local tool, but no input may stall it). */
const MAX_ADDRESS = 64;
const MAX_TEXT = 10_000;
const MAX_KEY = 256;
const MAX_PARTS = 50;
const MAX_URL = 2048;
const ADDRESS_RULE =
  '{field} must be a number (international format, + optional), a short code (3-8 digits) or an alphanumeric id (at most 11 characters)';

/** `from` and `to` of an injected MO: a number, a short code or an alphanumeric id. */
function checkAddresses(body: Record<string, unknown>, problems: string[]): void {
  for (const key of ['from', 'to'] as const) {
    const value = body[key];
    if (
      typeof value !== 'string' ||
      value.length > MAX_ADDRESS ||
      addressKind(value.replace(/^\+/, '')) === undefined
    ) {
      problems.push(ADDRESS_RULE.replace('{field}', key));
    }
  }
}

function optionalString(
  body: Record<string, unknown>,
  key: string,
  problems: string[],
): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > MAX_URL) {
    problems.push(`${key} must be a string of at most ${MAX_URL} characters`);
    return undefined;
  }
  return value;
}

/** `{from, to, parts: [{contentType, value} | {contentType, url}], group?, userAgent?, …}`. */
function checkInboundMms(body: unknown): { input?: InboundMmsInput; problems: string[] } {
  const problems: string[] = [];
  if (!isObject(body)) return { problems: ['body must be an object'] };
  checkAddresses(body, problems);
  const parts: InboundMmsInput['parts'] = [];
  if (!Array.isArray(body.parts) || body.parts.length === 0 || body.parts.length > MAX_PARTS) {
    problems.push(`parts must be an array of 1..${MAX_PARTS} parts`);
  } else {
    body.parts.forEach((raw: unknown, i) => {
      const part = isObject(raw) ? raw : {};
      const contentType = part.contentType;
      if (typeof contentType !== 'string' || contentType === '' || contentType.length > 255) {
        problems.push(`parts[${i}].contentType must be a non-empty string (at most 255)`);
        return;
      }
      if (
        typeof part.value === 'string' &&
        part.url === undefined &&
        part.value.length <= MAX_TEXT
      ) {
        parts.push({ contentType, value: part.value });
      } else if (
        typeof part.url === 'string' &&
        part.value === undefined &&
        part.url.length <= MAX_URL
      ) {
        parts.push({ contentType, url: part.url });
      } else {
        problems.push(`parts[${i}] needs exactly one of value (text) or url (media)`);
      }
    });
  }
  let group: InboundMmsInput['group'];
  if (body.group !== undefined) {
    if (!Array.isArray(body.group) || body.group.length > 200) {
      problems.push('group must be an array of at most 200 members');
    } else {
      group = [];
      body.group.forEach((raw: unknown, i) => {
        const m = isObject(raw) ? raw : {};
        if (typeof m.to === 'string' && m.cc === undefined && m.to.length <= MAX_ADDRESS)
          group!.push({ to: m.to });
        else if (typeof m.cc === 'string' && m.to === undefined && m.cc.length <= MAX_ADDRESS)
          group!.push({ cc: m.cc });
        else problems.push(`group[${i}] must be {to} or {cc}`);
      });
    }
  }
  const userAgent = optionalString(body, 'userAgent', problems);
  const callbackData = optionalString(body, 'callbackData', problems);
  const pairedMessageId = optionalString(body, 'pairedMessageId', problems);
  if (problems.length > 0) return { problems };
  return {
    input: {
      from: body.from as string,
      to: body.to as string,
      parts,
      group,
      userAgent,
      callbackData,
      pairedMessageId,
    },
    problems,
  };
}
