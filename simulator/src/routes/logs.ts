/**
 * `GET /sms/1/logs`, `GET /sms/3/logs` and `GET /mms/2/logs`: what happened to recent messages.
 * Tern uses them to learn whether a send that timed out was in fact accepted. The SMS routes list
 * SMS only and the MMS route MMS only. `/mms/2/logs` takes the `/sms/3/logs` filters (Infobip's
 * Java client, `MmsApi.getOutboundMmsMessageLogs`). Newest first (Guess: the order is not
 * documented). Cursor paging is not simulated.
 */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine.js';
import { ROUTE_SCOPES } from '../scopes.js';
import type { Violation } from '../errors.js';
import { mmsLog, v1Log, v3Log } from '../report-shapes.js';
import type { SimMessage } from '../store.js';
import { badRequest } from './send-common.js';
import { queryLimit, queryList, queryString, queryTime, type Query } from './query.js';

interface Filter {
  mms: boolean;
  messageIds: string[] | undefined;
  bulkIds: string[] | undefined;
  to: string | undefined;
  from: string | undefined;
  generalStatus: string | undefined;
  sentSince: number | undefined;
  sentUntil: number | undefined;
  entityId: string | undefined;
  applicationId: string | undefined;
  campaignReferenceIds: string[] | undefined;
  limit: number;
}

function matches(m: SimMessage, f: Filter): boolean {
  if ((m.api === 'mms-v2') !== f.mms) return false;
  if (f.messageIds && !f.messageIds.includes(m.messageId)) return false;
  if (f.bulkIds && (m.bulkId === undefined || !f.bulkIds.includes(m.bulkId))) return false;
  if (f.to !== undefined && m.to !== f.to) return false;
  if (f.from !== undefined && m.from !== f.from) return false;
  if (f.generalStatus !== undefined && m.status.groupName !== f.generalStatus) return false;
  if (f.sentSince !== undefined && m.sentAt < f.sentSince) return false;
  if (f.sentUntil !== undefined && m.sentAt > f.sentUntil) return false;
  if (f.entityId !== undefined && m.entityId !== f.entityId) return false;
  if (f.applicationId !== undefined && m.applicationId !== f.applicationId) return false;
  if (
    f.campaignReferenceIds &&
    (m.campaignReferenceId === undefined || !f.campaignReferenceIds.includes(m.campaignReferenceId))
  ) {
    return false;
  }
  return true;
}

/** Matching messages, newest first, leaving out those accepted less than `logsLagMs` ago. */
function find(engine: Engine, f: Filter): SimMessage[] {
  const found: SimMessage[] = [];
  const all = engine.store.messages;
  const visibleBefore = engine.now() - engine.options.logsLagMs;
  for (let i = all.length - 1; i >= 0 && found.length < f.limit; i--) {
    const m = all[i]!;
    if (m.acceptedAt > visibleBefore) continue;
    if (matches(m, f)) found.push(m);
  }
  return found;
}

/** The query's filters; `v3` names (`destination`, `sender`) are those of `/mms/2/logs` too. */
function filter(q: Query, v3: boolean, mms: boolean, violations: Violation[]): Filter {
  return {
    mms,
    messageIds: queryList(q, 'messageId'),
    bulkIds: queryList(q, 'bulkId'),
    to: queryString(q, v3 ? 'destination' : 'to'),
    from: queryString(q, v3 ? 'sender' : 'from'),
    generalStatus: queryString(q, 'generalStatus'),
    sentSince: queryTime(q, 'sentSince', violations),
    sentUntil: queryTime(q, 'sentUntil', violations),
    entityId: queryString(q, 'entityId'),
    applicationId: queryString(q, 'applicationId'),
    campaignReferenceIds: queryList(q, 'campaignReferenceId'),
    limit: queryLimit(q, violations),
  };
}

export function registerLogs(app: FastifyInstance, engine: Engine): void {
  const ctx = { currency: engine.options.currency, mccMnc: engine.options.mccMnc };
  const smsLogs = { scopes: ROUTE_SCOPES.smsLogs, throttled: true };
  const mmsLogs = { scopes: ROUTE_SCOPES.mmsLogs, throttled: true };
  app.get('/sms/1/logs', { config: { shape: 'legacy', ...smsLogs } }, (request, reply) => {
    const violations: Violation[] = [];
    const f = filter(request.query as Query, false, false, violations);
    if (violations.length > 0) return badRequest(reply, 'legacy', violations);
    return { results: find(engine, f).map((m) => v1Log(m, ctx)) };
  });
  app.get('/sms/3/logs', { config: { shape: 'v3', ...smsLogs } }, (request, reply) => {
    const violations: Violation[] = [];
    const f = filter(request.query as Query, true, false, violations);
    if (violations.length > 0) return badRequest(reply, 'v3', violations);
    return { results: find(engine, f).map((m) => v3Log(m, ctx)) };
  });
  app.get('/mms/2/logs', { config: { shape: 'v3', ...mmsLogs } }, (request, reply) => {
    const violations: Violation[] = [];
    const f = filter(request.query as Query, true, true, violations);
    if (violations.length > 0) return badRequest(reply, 'v3', violations);
    return { results: find(engine, f).map((m) => mmsLog(m, ctx)) };
  });
}
