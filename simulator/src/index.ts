/**
 * In-process entry point: `createSimulator()` builds an Infobip-compatible simulator for tests,
 * the demo and benchmarks. `listen()` serves it; `close()` stops it and everything it started.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { Engine } from './engine.js';
import type { Fault, FaultSpec } from './faults.js';
import type { InboundInput, InboundMmsInput, InboundMmsRecord, InboundRecord } from './inbound.js';
import type { Scope } from './scopes.js';
import { resolveOptions, type ResolvedOptions, type SimulatorOptions } from './options.js';
import type { OutcomeName, OutcomeRule } from './outcomes.js';
import type { RecordedRequest, SimMessage, WebhookPost } from './store.js';

export type { ApiKeySpec, RateLimit, SimulatorOptions } from './options.js';
export { DEFAULT_API_KEY, DEFAULT_LOGS_LAG_MS, LOGS_RATE_LIMIT } from './options.js';
export type { Scope } from './scopes.js';
export { ALL_SCOPES, ROUTE_SCOPES, SCOPES, SENDING_SCOPES } from './scopes.js';
export type { OutcomeName, OutcomeRule } from './outcomes.js';
export { OUTCOME_NAMES, DEFAULT_OUTCOME_RULES } from './outcomes.js';
export type { Fault, FaultKind, FaultSpec } from './faults.js';
export type {
  InboundInput,
  InboundMessage,
  InboundMms,
  InboundMmsInput,
  InboundMmsRecord,
  InboundRecord,
  MmsPart,
} from './inbound.js';
export type { RecordedRequest, SimMessage, WebhookPost } from './store.js';
export { STATUSES, ERRORS } from './statuses.js';
export { formatInfobipTime } from './time.js';
export { retryDelayMs } from './webhook-sender.js';
export { CONTROL_PREFIX } from './control.js';

export interface Simulator {
  /** The Fastify app (usable with `app.inject()` without listening). */
  readonly app: FastifyInstance;
  readonly options: ResolvedOptions;
  /** Base URL once listening, e.g. `http://127.0.0.1:9090`. */
  readonly url: string | undefined;
  listen(opts?: { port?: number; host?: string }): Promise<string>;
  /** Stops the server, timers, scheduled reports, retries and in-flight webhook POSTs. */
  close(): Promise<void>;

  /** Every destination accepted, oldest first. */
  messages(): readonly SimMessage[];
  message(messageId: string): SimMessage | undefined;
  /** Infobip-API requests received (control API excluded), oldest first. */
  requests(): readonly RecordedRequest[];
  /** Delivery-report POSTs made, one entry per attempt. */
  reportPosts(): readonly WebhookPost[];
  /** Inbound (MO) POSTs made, one entry per attempt. */
  inboundPosts(): readonly WebhookPost[];
  /** How many times a caller-supplied messageId was received again. */
  duplicateCount(): number;

  addFault(spec: FaultSpec): Fault;
  clearFaults(): void;
  injectInbound(input: InboundInput): InboundRecord;
  /** An inbound MMS, forwarded in MO_MMS_2 to the number's MMS forwarding URL (or pulled). */
  injectInboundMms(input: InboundMmsInput): InboundMmsRecord;
  setInboundNumber(number: string, forwardUrl: string | null): void;
  setMmsInboundNumber(number: string, forwardUrl: string | null): void;
  /** Adds an API key or replaces its scopes. */
  setApiKey(key: string, scopes: readonly Scope[]): void;
  setOutcomes(rules: OutcomeRule[], defaultOutcome?: OutcomeName): void;
  /** Emits every scheduled report now and waits until the POSTs (with pending retries) end. */
  flushReports(): Promise<void>;
  /** Forgets messages, requests, posts, faults, pending reports; keeps configuration. */
  reset(): void;
}

export async function createSimulator(options?: SimulatorOptions): Promise<Simulator> {
  const engine = new Engine(resolveOptions(options));
  const app = buildApp(engine);
  // preClose: before Fastify waits for open requests, which may be sleeping on injected latency.
  app.addHook('preClose', (done) => {
    engine.stop();
    done();
  });
  app.addHook('onClose', async () => {
    await engine.close();
  });
  await app.ready();
  let url: string | undefined;
  let closed = false;

  return {
    app,
    options: engine.options,
    get url() {
      return url;
    },
    async listen(opts = {}) {
      const address = await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
      const parsed = new URL(address);
      // Listening on all interfaces: hand out a loopback URL that a client can call.
      if (parsed.hostname === '0.0.0.0' || parsed.hostname === '[::]')
        parsed.hostname = '127.0.0.1';
      url = parsed.origin;
      return url;
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
    },
    messages: () => engine.store.messages,
    message: (id) => engine.store.byId.get(id),
    requests: () => engine.store.requests.all(),
    reportPosts: () => engine.store.posts.all().filter((p) => p.kind === 'report'),
    inboundPosts: () => engine.store.posts.all().filter((p) => p.kind === 'inbound'),
    duplicateCount: () => engine.store.duplicateCount,
    addFault: (spec) => engine.faults.add(spec),
    clearFaults: () => engine.faults.clear(),
    injectInbound: (input) => engine.inbound.inject(input),
    injectInboundMms: (input) => engine.inbound.injectMms(input),
    setInboundNumber: (number, forwardUrl) => engine.inbound.setNumber(number, forwardUrl),
    setMmsInboundNumber: (number, forwardUrl) => engine.inbound.setMmsNumber(number, forwardUrl),
    setApiKey: (key, scopes) => engine.auth.setKey(key, scopes),
    setOutcomes: (rules, defaultOutcome) => engine.outcomes.replace(rules, defaultOutcome),
    flushReports: () => engine.reports.flush(),
    reset: () => engine.reset(),
  };
}
