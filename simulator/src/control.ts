/**
 * The control API, under `/__sim` (no Infobip path starts with `/__`): observe what the
 * simulator received and sent, inject inbound texts and faults, change outcomes, reset.
 * No authentication: the simulator is a local test tool. Errors use Tern's own shape
 * `{"error":{"code","message","details"}}`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Engine } from './engine.js';
import { checkFaultSpec } from './faults.js';
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
      'GET|PUT|DELETE /__sim/numbers[/:number]',
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
      for (const key of ['from', 'to', 'text'] as const) {
        if (typeof body[key] !== 'string' || (key !== 'text' && body[key] === '')) {
          problems.push(`${key} must be a ${key === 'text' ? 'string' : 'non-empty string'}`);
        }
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

  app.get(`${p}/numbers`, () => Object.fromEntries(engine.inbound.numbers));

  app.put(`${p}/numbers/:number`, (request, reply) => {
    const { number } = request.params as { number: string };
    const body = request.body;
    const url = isObject(body) ? body.forwardUrl : undefined;
    if (url !== null && typeof url !== 'string') {
      return problem(reply, 400, 'invalid_request', 'forwardUrl must be a URL string or null');
    }
    engine.inbound.numbers.set(number, url);
    return { number, forwardUrl: url };
  });

  app.delete(`${p}/numbers/:number`, (request, reply) => {
    const { number } = request.params as { number: string };
    engine.inbound.numbers.delete(number);
    return reply.code(204).send();
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
