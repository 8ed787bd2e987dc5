/**
 * What Infobip POSTs to Tern: delivery reports (v2 `notifyUrl` and v3 `webhooks.delivery.url`
 * shapes, infobip.md §4), inbound texts (`MO_JSON_2`, §6) and inbound MMS (`MO_MMS_2`, the MMS
 * OpenAPI document's `MMSMoWebhookRequest`). Schemas are compiled once: these run on the hot
 * webhook path. Parsing never throws. Each item of `results` is judged on its own (issue 13
 * item 5: one bad report among 2,000 lost them all): the usable ones come back with the
 * unusable ones kept raw with their problems; only a body whose envelope is wrong fails whole.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { isDuplicateMessageId } from './reports-pull.js';
import { mapInfobipStatus } from './status-map.js';
import { parseInfobipTime } from './time.js';
import type {
  DeliveryReport,
  DeliveryReportBatch,
  InboundBatch,
  InboundPart,
  InboundText,
  ProviderError,
  ProviderPrice,
  ProviderWebhooks,
  RejectedItem,
  WebhookParse,
  WebhookProblem,
} from '../provider.js';

export type {
  DeliveryReport,
  DeliveryReportBatch,
  InboundBatch,
  InboundPart,
  InboundText,
  ProviderError,
  ProviderPrice,
  ProviderStatus,
  RejectedItem,
  WebhookParse,
  WebhookProblem,
} from '../provider.js';

/** More problems than this are listed for one item: a garbage item would otherwise produce thousands. */
export const MAX_PROBLEMS = 20;

/**
 * The longest raw copy kept of an item Tern could not use, in characters. A report with every
 * field Infobip sends is 712 bytes and one echoing the longest callbackData (4,000) 4,710, so
 * 10,000 keeps any real item whole; a longer one is cut, with its length recorded.
 */
export const REJECTED_RAW_MAX_LENGTH = 10_000;

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
// Guess: MO_MMS_2 declares no bounds. A media URL is Infobip's download link (~40 characters
// in the spec's example); 2,048 is the common URL limit of browsers and proxies. An MMS has a
// handful of parts (carriers cap an MMS at 300 kB-1 MB); 100 parts is far above any real one.
// `group` mirrors outbound MMS, whose group takes 1..200 members.
const MEDIA_URL = { minLength: 1, maxLength: 2048 };
const MMS_MAX_PARTS = 100;
const MMS_MAX_GROUP = 200;

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

const MmsSegmentSchema = Type.Union([
  // Not bounded here: text parts are joined and truncated (INBOUND_TEXT_MAX_LENGTH), not refused.
  Type.Object({ contentType: Nullable(Type.String(LABEL)), value: Type.String() }),
  Type.Object({ contentType: Nullable(Type.String(LABEL)), url: Type.String(MEDIA_URL) }),
]);

const MmsGroupMemberSchema = Type.Object({
  to: Nullable(Type.String(NUMBER)),
  cc: Nullable(Type.String(NUMBER)),
});

const InboundMmsResultSchema = Type.Object({
  messageId: Type.String({ minLength: 1, ...ID }),
  from: Type.String({ minLength: 1, ...NUMBER }),
  to: Type.String({ minLength: 1, ...NUMBER }),
  receivedAt: Nullable(Type.String(LABEL)),
  pairedMessageId: Nullable(Type.String(ID)),
  userAgent: Nullable(Type.String(LABEL)),
  callbackData: Nullable(Type.String(CALLBACK_DATA)),
  message: Type.Array(MmsSegmentSchema, { maxItems: MMS_MAX_PARTS }),
  group: Nullable(Type.Array(MmsGroupMemberSchema, { maxItems: MMS_MAX_GROUP })),
  price: Nullable(PriceSchema),
  applicationId: Nullable(Type.String(LABEL)),
  entityId: Nullable(Type.String(LABEL)),
});

/** The inbound MMS webhook body in Infobip's `MO_MMS_2` format. */
export const InboundMmsBodySchema = Type.Object({
  results: Type.Array(InboundMmsResultSchema),
  messageCount: Nullable(Type.Integer({ minimum: 0 })),
  pendingMessageCount: Nullable(Type.Integer({ minimum: 0 })),
});

// The envelope (an object with a `results` array) is checked whole; each item on its own.
const Envelope = Type.Object({
  results: Type.Array(Type.Unknown()),
  messageCount: Nullable(Type.Integer({ minimum: 0 })),
  pendingMessageCount: Nullable(Type.Integer({ minimum: 0 })),
});
const envelopeChecker = TypeCompiler.Compile(Envelope);
const deliveryItemChecker = TypeCompiler.Compile(DeliveryResultSchema);
const inboundItemChecker = TypeCompiler.Compile(InboundResultSchema);
const inboundMmsItemChecker = TypeCompiler.Compile(InboundMmsResultSchema);

type DeliveryResult = Static<typeof DeliveryResultSchema>;
type InboundResult = Static<typeof InboundResultSchema>;
type InboundMmsResult = Static<typeof InboundMmsResultSchema>;

function schemaProblems(
  checker: { Errors(value: unknown): Iterable<{ path: string; message: string }> },
  value: unknown,
  prefix = '',
): WebhookProblem[] {
  const problems: WebhookProblem[] = [];
  const seen = new Set<string>();
  for (const e of checker.Errors(value)) {
    // Nullable fields report one error per union member; one per path is enough.
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    problems.push({ path: `${prefix}${e.path}` || '/', message: e.message });
    if (problems.length >= MAX_PROBLEMS) break;
  }
  return problems.length > 0 ? problems : [{ path: prefix || '/', message: 'Invalid value' }];
}

/** An item's JSON cut to {@link REJECTED_RAW_MAX_LENGTH} characters, marked when cut. */
export function boundedRaw(item: unknown): string {
  return cutRaw(JSON.stringify(item ?? null));
}

function cutRaw(json: string): string {
  if (json.length <= REJECTED_RAW_MAX_LENGTH) return json;
  return `${json.slice(0, REJECTED_RAW_MAX_LENGTH)}… [cut from ${json.length} characters]`;
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
    // The report of a resend Infobip refused as a duplicate (status 23) is about that copy; the
    // first copy's own report decides the message, so this one changes nothing.
    ternStatus: isDuplicateMessageId({ id: r.status.id ?? null, name: r.status.name ?? null })
      ? null
      : mapInfobipStatus(r.status),
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
 * `text`, `cleanText`, `keyword` and each MMS text part's `value` cut as {@link InboundText}
 * cuts them, so the raw copy is bounded too; a cut item records the longest one's original
 * length in `ternTruncatedFrom`.
 */
export function rawInboundItem(item: unknown): string {
  if (item === null || typeof item !== 'object') return JSON.stringify(item ?? null);
  const fields = item as Record<string, unknown>;
  const cut: Record<string, unknown> = {};
  let longest = 0;
  for (const name of ['text', 'cleanText', 'keyword']) {
    const value = fields[name];
    if (typeof value !== 'string' || value.length <= INBOUND_TEXT_MAX_LENGTH) continue;
    cut[name] = bounded(value);
    longest = Math.max(longest, value.length);
  }
  if (Array.isArray(fields.message)) {
    let partCut = false;
    const parts = fields.message.map((part: unknown) => {
      const value = (part as { value?: unknown } | null)?.value;
      if (typeof value !== 'string' || value.length <= INBOUND_TEXT_MAX_LENGTH) return part;
      partCut = true;
      longest = Math.max(longest, value.length);
      return { ...(part as object), value: bounded(value) };
    });
    if (partCut) cut.message = parts;
  }
  if (longest === 0) return JSON.stringify(item);
  return JSON.stringify({ ...item, ...cut, ternTruncatedFrom: longest });
}

function inboundText(
  r: InboundResult,
  i: number,
  raw: string,
  problems: WebhookProblem[],
): InboundText {
  const full = r.text ?? '';
  const text = bounded(full);
  return {
    index: i,
    channel: 'sms',
    messageId: r.messageId,
    from: r.from,
    to: r.to,
    text,
    cleanText: r.cleanText != null ? bounded(r.cleanText) : text,
    truncated: full.length > INBOUND_TEXT_MAX_LENGTH,
    parts: [],
    keyword: r.keyword != null && r.keyword !== '' ? bounded(r.keyword) : null,
    receivedAt: time(r.receivedAt, `/results/${i}/receivedAt`, problems),
    messageCount: r.smsCount ?? null,
    price: price(r.price),
    callbackData: r.callbackData ?? null,
    entityId: r.entityId ?? null,
    applicationId: r.applicationId ?? null,
    campaignReferenceId: r.campaignReferenceId ?? null,
    raw,
  };
}

/**
 * An MO_MMS_2 item. Its text is its text parts (`{contentType, value}`) joined by a line break,
 * so that a STOP sent as an MMS is an opt-out; media parts (`{contentType, url}`) are kept as
 * links. Infobip sets no keyword or part count on an MMS.
 */
function inboundMms(
  r: InboundMmsResult,
  i: number,
  raw: string,
  problems: WebhookProblem[],
): InboundText {
  const parts: InboundPart[] = r.message.map((part) =>
    'url' in part
      ? { contentType: part.contentType ?? null, url: part.url }
      : { contentType: part.contentType ?? null, text: bounded(part.value) },
  );
  const full = r.message.flatMap((part) => ('value' in part ? [part.value] : [])).join('\n');
  const text = bounded(full);
  return {
    index: i,
    channel: 'mms',
    messageId: r.messageId,
    from: r.from,
    to: r.to,
    text,
    cleanText: text,
    truncated: full.length > INBOUND_TEXT_MAX_LENGTH,
    parts,
    keyword: null,
    receivedAt: time(r.receivedAt, `/results/${i}/receivedAt`, problems),
    messageCount: null,
    price: price(r.price),
    callbackData: r.callbackData ?? null,
    entityId: r.entityId ?? null,
    applicationId: r.applicationId ?? null,
    campaignReferenceId: null,
    raw,
  };
}

/** The envelope's problems, or undefined when it is an object with a `results` array. */
function envelopeProblems(body: unknown): WebhookProblem[] | undefined {
  return envelopeChecker.Check(body) ? undefined : schemaProblems(envelopeChecker, body);
}

/**
 * Judges each item on its own: `build` turns a schema-valid item into its value, pushing any
 * further problem (a timestamp Infobip would not send); an item with a problem is rejected.
 */
function eachItem<T>(
  results: unknown[],
  pick: (item: unknown) => {
    check: (item: unknown) => boolean;
    checker: Parameters<typeof schemaProblems>[0];
  },
  build: (item: unknown, i: number, problems: WebhookProblem[]) => T,
  rawOf: (item: unknown) => string = boundedRaw,
): { values: T[]; rejected: RejectedItem[] } {
  const values: T[] = [];
  const rejected: RejectedItem[] = [];
  results.forEach((item, i) => {
    const { check, checker } = pick(item);
    if (!check(item)) {
      rejected.push({
        index: i,
        raw: rawOf(item),
        problems: schemaProblems(checker, item, `/results/${i}`),
      });
      return;
    }
    const problems: WebhookProblem[] = [];
    const value = build(item, i, problems);
    if (problems.length > 0) rejected.push({ index: i, raw: rawOf(item), problems });
    else values.push(value);
  });
  return { values, rejected };
}

const deliveryItem = {
  check: (item: unknown) => deliveryItemChecker.Check(item),
  checker: deliveryItemChecker,
};
const smsItem = {
  check: (item: unknown) => inboundItemChecker.Check(item),
  checker: inboundItemChecker,
};
const mmsItem = {
  check: (item: unknown) => inboundMmsItemChecker.Check(item),
  checker: inboundMmsItemChecker,
};

/**
 * Parses a delivery-report webhook body (v2 or v3 shape; already JSON-decoded): fails only
 * when it is not `{results: [...]}`; otherwise each report is usable or rejected on its own.
 */
export function parseDeliveryReports(body: unknown): WebhookParse<DeliveryReportBatch> {
  const envelope = envelopeProblems(body);
  if (envelope) return { ok: false, problems: envelope };
  const { values, rejected } = eachItem(
    (body as { results: unknown[] }).results,
    () => deliveryItem,
    (item, i, problems) => deliveryReport(item as DeliveryResult, i, problems),
  );
  return { ok: true, value: { reports: values, rejected } };
}

/**
 * Parses an inbound webhook body (already JSON-decoded): MO_JSON_2 texts and MO_MMS_2 MMS (an
 * item whose `message` is an array of parts). Fails only when it is not `{results: [...]}`;
 * otherwise each item is usable or rejected on its own.
 */
export function parseInboundTexts(body: unknown): WebhookParse<InboundBatch> {
  const envelope = envelopeProblems(body);
  if (envelope) return { ok: false, problems: envelope };
  const b = body as Static<typeof Envelope>;
  const isMms = (item: unknown) =>
    item !== null &&
    typeof item === 'object' &&
    Array.isArray((item as { message?: unknown }).message);
  const { values, rejected } = eachItem(
    b.results,
    (item) => (isMms(item) ? mmsItem : smsItem),
    (item, i, problems) =>
      isMms(item)
        ? inboundMms(item as InboundMmsResult, i, rawInboundItem(item), problems)
        : inboundText(item as InboundResult, i, rawInboundItem(item), problems),
    (item) => cutRaw(rawInboundItem(item)),
  );
  return {
    ok: true,
    value: {
      texts: values,
      rejected,
      messageCount: b.messageCount ?? null,
      pendingMessageCount: b.pendingMessageCount ?? null,
    },
  };
}

/** Infobip's webhook parsers behind the contract: one instance for the process (hot path). */
export const INFOBIP_WEBHOOKS: ProviderWebhooks = Object.freeze({
  parseDeliveryReports,
  parseInbound: parseInboundTexts,
});
