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

/**
 * The longest inbound text Tern classifies and stores, in characters. Infobip refuses a text of
 * more than 25 parts or 4,000 bytes (status 25, REJECTED_MESSAGE_TOO_LONG): 25 GSM-7 parts are
 * 3,825 characters. A longer text is kept truncated to this (its raw copy records the length
 * it had), never refused: a refused POST would be retried and its other texts lost.
 */
export const INBOUND_TEXT_MAX_LENGTH = 4096;

// Bounds on the identifiers and labels Infobip sends, so that no field reaches a parser, an
// index or a log unbounded. Infobip documents messageId as 0..200 characters and callbackData
// as up to 4,000. Guess: the rest (numbers, names, descriptions) are far under these.
const ID = { maxLength: 200 };
const NUMBER = { maxLength: 100 };
const LABEL = { maxLength: 200 };
const PROSE = { maxLength: 2000 };
const CALLBACK_DATA = { maxLength: 4000 };

// Infobip's generated models may serialise absent optionals as null.
const Nullable = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

const PriceSchema = Type.Object({
  pricePerMessage: Nullable(Type.Number()),
  currency: Nullable(Type.String(LABEL)),
});

const StatusSchema = Type.Object({
  groupId: Type.Integer(),
  groupName: Nullable(Type.String(LABEL)),
  id: Nullable(Type.Integer()),
  name: Nullable(Type.String(LABEL)),
  description: Nullable(Type.String(PROSE)),
  action: Nullable(Type.String(PROSE)),
});

const ErrorSchema = Type.Object({
  groupId: Nullable(Type.Integer()),
  groupName: Nullable(Type.String(LABEL)),
  id: Nullable(Type.Integer()),
  name: Nullable(Type.String(LABEL)),
  description: Nullable(Type.String(PROSE)),
  permanent: Nullable(Type.Boolean()),
});

const DeliveryResultSchema = Type.Object({
  bulkId: Nullable(Type.String(ID)),
  messageId: Type.String({ minLength: 1, ...ID }),
  to: Nullable(Type.String(NUMBER)),
  from: Nullable(Type.String(NUMBER)),
  sender: Nullable(Type.String(NUMBER)),
  sentAt: Nullable(Type.String(LABEL)),
  doneAt: Nullable(Type.String(LABEL)),
  smsCount: Nullable(Type.Integer({ minimum: 0 })),
  messageCount: Nullable(Type.Integer({ minimum: 0 })),
  mccMnc: Nullable(Type.String(LABEL)),
  callbackData: Nullable(Type.String(CALLBACK_DATA)),
  price: Nullable(PriceSchema),
  status: StatusSchema,
  error: Nullable(ErrorSchema),
  entityId: Nullable(Type.String(LABEL)),
  applicationId: Nullable(Type.String(LABEL)),
  platform: Nullable(
    Type.Object({
      entityId: Nullable(Type.String(LABEL)),
      applicationId: Nullable(Type.String(LABEL)),
    }),
  ),
  campaignReferenceId: Nullable(Type.String(LABEL)),
});

/** The delivery-report webhook body, v2 or v3. */
export const DeliveryReportBodySchema = Type.Object({
  results: Type.Array(DeliveryResultSchema),
});

const InboundResultSchema = Type.Object({
  messageId: Type.String({ minLength: 1, ...ID }),
  from: Type.String({ minLength: 1, ...NUMBER }),
  to: Type.String({ minLength: 1, ...NUMBER }),
  // Not bounded here: over-long text is truncated (INBOUND_TEXT_MAX_LENGTH), not refused.
  text: Nullable(Type.String()),
  cleanText: Nullable(Type.String()),
  keyword: Nullable(Type.String()),
  receivedAt: Nullable(Type.String(LABEL)),
  smsCount: Nullable(Type.Integer({ minimum: 0 })),
  price: Nullable(PriceSchema),
  callbackData: Nullable(Type.String(CALLBACK_DATA)),
  applicationId: Nullable(Type.String(LABEL)),
  entityId: Nullable(Type.String(LABEL)),
  campaignReferenceId: Nullable(Type.String(LABEL)),
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
  /** At most {@link INBOUND_TEXT_MAX_LENGTH} characters; see `truncated`. */
  text: string;
  /** The text without the keyword Infobip matched (falls back to `text`); bounded the same. */
  cleanText: string;
  /** True when Infobip's text was longer than {@link INBOUND_TEXT_MAX_LENGTH} and was cut. */
  truncated: boolean;
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

/** A text cut to {@link INBOUND_TEXT_MAX_LENGTH}, never in the middle of a surrogate pair. */
function bounded(text: string): string {
  if (text.length <= INBOUND_TEXT_MAX_LENGTH) return text;
  const code = text.charCodeAt(INBOUND_TEXT_MAX_LENGTH - 1);
  const splitsPair = code >= 0xd800 && code <= 0xdbff;
  return text.slice(0, INBOUND_TEXT_MAX_LENGTH - (splitsPair ? 1 : 0));
}

/**
 * One inbound item as stored raw (evidence of what Infobip sent): the JSON as received, with
 * `text`, `cleanText` and `keyword` cut as {@link InboundText} cuts them, so the raw copy is
 * bounded too; a cut item records the longest one's original length in `ternTruncatedFrom`.
 */
export function rawInboundItem(item: unknown): string {
  if (item === null || typeof item !== 'object') return JSON.stringify(item ?? null);
  const fields = item as Record<string, unknown>;
  const cut: Record<string, string> = {};
  let longest = 0;
  for (const name of ['text', 'cleanText', 'keyword']) {
    const value = fields[name];
    if (typeof value !== 'string' || value.length <= INBOUND_TEXT_MAX_LENGTH) continue;
    cut[name] = bounded(value);
    longest = Math.max(longest, value.length);
  }
  if (longest === 0) return JSON.stringify(item);
  return JSON.stringify({ ...item, ...cut, ternTruncatedFrom: longest });
}

function inboundText(r: InboundResult, i: number, problems: WebhookProblem[]): InboundText {
  const full = r.text ?? '';
  const text = bounded(full);
  return {
    messageId: r.messageId,
    from: r.from,
    to: r.to,
    text,
    cleanText: r.cleanText != null ? bounded(r.cleanText) : text,
    truncated: full.length > INBOUND_TEXT_MAX_LENGTH,
    keyword: r.keyword != null && r.keyword !== '' ? bounded(r.keyword) : null,
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
