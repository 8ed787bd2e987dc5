/**
 * What Infobip POSTs to Tern: delivery reports (v2 `notifyUrl` and v3 `webhooks.delivery.url`
 * shapes, infobip.md §4) and inbound texts (`MO_JSON_2`, §6). Schemas are compiled once: these
 * run on the hot webhook path. Parsing never throws; bad input gives a list of problems.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { mapInfobipStatus, type MessageStatus } from './status-map.js';
import { parseInfobipTime } from './time.js';

/** One thing wrong with a webhook body; `path` is a JSON pointer into the body (`/results/0/messageId`). */
export interface WebhookProblem {
  path: string;
  message: string;
}

/** The parse outcome: values, or every problem (capped at {@link MAX_PROBLEMS}). */
export type WebhookParse<T> = { ok: true; value: T } | { ok: false; problems: WebhookProblem[] };

/** More problems than this are not listed: a garbage body would otherwise produce thousands. */
export const MAX_PROBLEMS = 20;

// Infobip's generated models may serialise absent optionals as null.
const Nullable = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

const PriceSchema = Type.Object({
  pricePerMessage: Nullable(Type.Number()),
  currency: Nullable(Type.String()),
});

const StatusSchema = Type.Object({
  groupId: Type.Integer(),
  groupName: Nullable(Type.String()),
  id: Nullable(Type.Integer()),
  name: Nullable(Type.String()),
  description: Nullable(Type.String()),
  action: Nullable(Type.String()),
});

const ErrorSchema = Type.Object({
  groupId: Nullable(Type.Integer()),
  groupName: Nullable(Type.String()),
  id: Nullable(Type.Integer()),
  name: Nullable(Type.String()),
  description: Nullable(Type.String()),
  permanent: Nullable(Type.Boolean()),
});

const DeliveryResultSchema = Type.Object({
  bulkId: Nullable(Type.String()),
  messageId: Type.String({ minLength: 1 }),
  to: Nullable(Type.String()),
  from: Nullable(Type.String()),
  sender: Nullable(Type.String()),
  sentAt: Nullable(Type.String()),
  doneAt: Nullable(Type.String()),
  smsCount: Nullable(Type.Integer({ minimum: 0 })),
  messageCount: Nullable(Type.Integer({ minimum: 0 })),
  mccMnc: Nullable(Type.String()),
  callbackData: Nullable(Type.String()),
  price: Nullable(PriceSchema),
  status: StatusSchema,
  error: Nullable(ErrorSchema),
  entityId: Nullable(Type.String()),
  applicationId: Nullable(Type.String()),
  platform: Nullable(
    Type.Object({
      entityId: Nullable(Type.String()),
      applicationId: Nullable(Type.String()),
    }),
  ),
  campaignReferenceId: Nullable(Type.String()),
});

/** The delivery-report webhook body, v2 or v3. */
export const DeliveryReportBodySchema = Type.Object({
  results: Type.Array(DeliveryResultSchema),
});

const InboundResultSchema = Type.Object({
  messageId: Type.String({ minLength: 1 }),
  from: Type.String({ minLength: 1 }),
  to: Type.String({ minLength: 1 }),
  text: Nullable(Type.String()),
  cleanText: Nullable(Type.String()),
  keyword: Nullable(Type.String()),
  receivedAt: Nullable(Type.String()),
  smsCount: Nullable(Type.Integer({ minimum: 0 })),
  price: Nullable(PriceSchema),
  callbackData: Nullable(Type.String()),
  applicationId: Nullable(Type.String()),
  entityId: Nullable(Type.String()),
  campaignReferenceId: Nullable(Type.String()),
});

/** The inbound (MO) webhook body in Infobip's `MO_JSON_2` format. */
export const InboundBodySchema = Type.Object({
  results: Type.Array(InboundResultSchema),
  messageCount: Nullable(Type.Integer({ minimum: 0 })),
  pendingMessageCount: Nullable(Type.Integer({ minimum: 0 })),
});

const deliveryChecker = TypeCompiler.Compile(DeliveryReportBodySchema);
const inboundChecker = TypeCompiler.Compile(InboundBodySchema);

/** A price as Infobip reports it. */
export interface ProviderPrice {
  perMessage: number | null;
  currency: string | null;
}

/** Infobip's status object, kept for the message history. */
export interface ProviderStatus {
  groupId: number;
  groupName: string | null;
  id: number | null;
  name: string | null;
  description: string | null;
}

/** Infobip's error object; `null` on a report when it says "no error" (group 0, id 0). */
export interface ProviderError {
  groupId: number | null;
  groupName: string | null;
  id: number | null;
  name: string | null;
  description: string | null;
  permanent: boolean | null;
}

/** One delivery report, the same whichever Infobip shape it came in. */
export interface DeliveryReport {
  /** Which webhook shape it came in: v2 (`smsCount`, `from`) or v3 (`messageCount`, `sender`, `platform`). */
  shape: 'v2' | 'v3';
  /** The message id; Tern sends its own message id, so this is normally Tern's id. */
  messageId: string;
  bulkId: string | null;
  to: string | null;
  sender: string | null;
  /** ISO-8601 UTC. */
  sentAt: string | null;
  /** ISO-8601 UTC. */
  doneAt: string | null;
  /** SMS parts (v2 `smsCount`, v3 `messageCount`). */
  messageCount: number | null;
  mccMnc: string | null;
  callbackData: string | null;
  price: ProviderPrice | null;
  status: ProviderStatus;
  error: ProviderError | null;
  /** Tern's status for the report's status group; `null` for a group Tern does not know. */
  ternStatus: MessageStatus | null;
  entityId: string | null;
  applicationId: string | null;
  campaignReferenceId: string | null;
}

/** One inbound (MO) text. */
export interface InboundText {
  messageId: string;
  from: string;
  to: string;
  text: string;
  /** The text without the keyword Infobip matched (falls back to `text`). */
  cleanText: string;
  keyword: string | null;
  /** ISO-8601 UTC. */
  receivedAt: string | null;
  messageCount: number | null;
  price: ProviderPrice | null;
  callbackData: string | null;
  entityId: string | null;
  applicationId: string | null;
  campaignReferenceId: string | null;
}

/** The inbound webhook body, normalised. */
export interface InboundBatch {
  texts: InboundText[];
  messageCount: number | null;
  pendingMessageCount: number | null;
}

type DeliveryBody = Static<typeof DeliveryReportBodySchema>;
type DeliveryResult = DeliveryBody['results'][number];
type InboundBody = Static<typeof InboundBodySchema>;
type InboundResult = InboundBody['results'][number];

function schemaProblems(
  checker: { Errors(value: unknown): Iterable<{ path: string; message: string }> },
  body: unknown,
): WebhookProblem[] {
  const problems: WebhookProblem[] = [];
  const seen = new Set<string>();
  for (const e of checker.Errors(body)) {
    // Nullable fields report one error per union member; one per path is enough.
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    problems.push({ path: e.path === '' ? '/' : e.path, message: e.message });
    if (problems.length >= MAX_PROBLEMS) break;
  }
  return problems.length > 0 ? problems : [{ path: '/', message: 'Invalid body' }];
}

function time(
  value: string | null | undefined,
  path: string,
  problems: WebhookProblem[],
): string | null {
  if (value === undefined || value === null) return null;
  const iso = parseInfobipTime(value);
  if (iso === null && problems.length < MAX_PROBLEMS) {
    problems.push({
      path,
      message: `Not an Infobip timestamp (e.g. 2019-11-09T16:00:00.000+0000): ${value.slice(0, 40)}`,
    });
  }
  return iso;
}

function price(p: Static<typeof PriceSchema> | null | undefined): ProviderPrice | null {
  if (p === undefined || p === null) return null;
  return { perMessage: p.pricePerMessage ?? null, currency: p.currency ?? null };
}

function providerError(e: Static<typeof ErrorSchema> | null | undefined): ProviderError | null {
  if (e === undefined || e === null) return null;
  if ((e.id ?? 0) === 0 && (e.groupId ?? 0) === 0) return null;
  return {
    groupId: e.groupId ?? null,
    groupName: e.groupName ?? null,
    id: e.id ?? null,
    name: e.name ?? null,
    description: e.description ?? null,
    permanent: e.permanent ?? null,
  };
}

function deliveryReport(r: DeliveryResult, i: number, problems: WebhookProblem[]): DeliveryReport {
  const v3 =
    r.messageCount != null ||
    r.sender != null ||
    r.platform != null ||
    r.campaignReferenceId != null;
  return {
    shape: v3 ? 'v3' : 'v2',
    messageId: r.messageId,
    bulkId: r.bulkId ?? null,
    to: r.to ?? null,
    sender: r.sender ?? r.from ?? null,
    sentAt: time(r.sentAt, `/results/${i}/sentAt`, problems),
    doneAt: time(r.doneAt, `/results/${i}/doneAt`, problems),
    messageCount: r.messageCount ?? r.smsCount ?? null,
    mccMnc: r.mccMnc ?? null,
    callbackData: r.callbackData ?? null,
    price: price(r.price),
    status: {
      groupId: r.status.groupId,
      groupName: r.status.groupName ?? null,
      id: r.status.id ?? null,
      name: r.status.name ?? null,
      description: r.status.description ?? null,
    },
    error: providerError(r.error),
    ternStatus: mapInfobipStatus(r.status),
    entityId: r.platform?.entityId ?? r.entityId ?? null,
    applicationId: r.platform?.applicationId ?? r.applicationId ?? null,
    campaignReferenceId: r.campaignReferenceId ?? null,
  };
}

function inboundText(r: InboundResult, i: number, problems: WebhookProblem[]): InboundText {
  const text = r.text ?? '';
  return {
    messageId: r.messageId,
    from: r.from,
    to: r.to,
    text,
    cleanText: r.cleanText ?? text,
    keyword: r.keyword != null && r.keyword !== '' ? r.keyword : null,
    receivedAt: time(r.receivedAt, `/results/${i}/receivedAt`, problems),
    messageCount: r.smsCount ?? null,
    price: price(r.price),
    callbackData: r.callbackData ?? null,
    entityId: r.entityId ?? null,
    applicationId: r.applicationId ?? null,
    campaignReferenceId: r.campaignReferenceId ?? null,
  };
}

/** Parses a delivery-report webhook body (v2 or v3 shape; already JSON-decoded). */
export function parseDeliveryReports(body: unknown): WebhookParse<DeliveryReport[]> {
  if (!deliveryChecker.Check(body))
    return { ok: false, problems: schemaProblems(deliveryChecker, body) };
  const problems: WebhookProblem[] = [];
  const reports = body.results.map((r, i) => deliveryReport(r, i, problems));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: reports };
}

/** Parses an inbound (MO_JSON_2) webhook body (already JSON-decoded). */
export function parseInboundTexts(body: unknown): WebhookParse<InboundBatch> {
  if (!inboundChecker.Check(body))
    return { ok: false, problems: schemaProblems(inboundChecker, body) };
  const problems: WebhookProblem[] = [];
  const texts = body.results.map((r, i) => inboundText(r, i, problems));
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      texts,
      messageCount: body.messageCount ?? null,
      pendingMessageCount: body.pendingMessageCount ?? null,
    },
  };
}
