import { normalizeKeyword } from '../credentials/keywords.js';
import type { ErrorDetail } from '../errors.js';
import { matchForm, type InboundCategory } from '../inbound/classify.js';
import { consentBlock } from '../messages/consent-gate.js';
import type { ConsentState } from '../profiles/consent.js';
import type { Action, FlowAction } from '../automation/action.js';
import type {
  Advance,
  EndReason,
  FlowDefinition,
  RunInput,
  RunState,
  TimelineNote,
} from './definition.js';
import { advance, initialState } from './interpreter.js';
import { shadowedCases } from './shadowed-cases.js';

/**
 * A flow run against a scripted conversation on a manual clock, sending nothing. It mirrors
 * the real engine (flow-inbound.ts, flow-engine.ts) step for step, with the credential's
 * keyword rules, rendering, consent gate and send-time policy given as `SimulateDeps`:
 *
 * - an opt-out text ends every run (`opted_out`) and the person is unsubscribed;
 * - an opt-in, help, double opt-in or fuzzy opt-out text ends the runs waiting for a reply
 *   (`preempted`): it is never taken as the reply. So with Tern's default opt-in keywords
 *   (START, UNSTOP, YES, SUBSCRIBE) a flow asking "reply YES" never sees the YES: the person is
 *   opted in, gets the opt-in confirmation, and the run ends. A credential whose opt-in list
 *   leaves YES out hands it to the run as free text, and the branch takes it;
 * - a custom keyword with a keyword response runs the response's actions (consent and
 *   attributes change, a start_flow of this flow starts a run; lists and webhooks are noted),
 *   then its reply is rendered as the actions left the person, as the responder does;
 * - a custom keyword or free text is handed to every run waiting for a reply; then a custom
 *   keyword that is the flow's trigger starts a run (one at a time with oneRunPerPerson); a run
 *   the keyword's response started takes its first steps last (the runner's, after the text);
 * - an automatic reply goes out unless the person is unsubscribed (the opt-out confirmation
 *   always), as the inbound engine queues it;
 *   free text no run took gets the credential's default reply, if it has one;
 * - timers fire at their deadline; a text and a deadline at the same instant: the text first
 *   (a reply by the deadline counts);
 * - the per-day loop guard counts the simulation's own sends (queued or held) in 24 hours.
 */

export interface ScriptLine {
  atSeconds: number;
  text: string;
}

export interface SimulateInput {
  script: ScriptLine[];
  /** For non-keyword triggers, or to start without a keyword text: start the run at 0 s. */
  start?: boolean;
  /** Stop the simulation here (default: 1 s after the last run ends or the last line, capped at 400 days). */
  untilSeconds?: number;
  /** The person's consent at 0 s (default from the service). */
  consent?: ConsentState;
  /** The profile's attributes for rendering. */
  attributes?: Record<string, unknown>;
  /** The number the person texts from (default SIMULATED_PHONE): rendering and the policy's time zone. */
  phone?: string;
}

export interface SimulatedMessage {
  atSeconds: number;
  at: string;
  stepId: string | null;
  /** flow: a send step; reply: the credential's automatic reply (STOP confirmation, help, keyword response…) */
  kind: 'flow' | 'reply';
  text: string | null;
  status: 'would_send' | 'suppressed' | 'held' | 'failed';
  /** Why suppressed/held/failed (consent, send-time policy, render problem). */
  reason: string | null;
}

export interface SimulationResult {
  messages: SimulatedMessage[];
  timeline: (TimelineNote & { atSeconds: number })[];
  runs: { startedAtSeconds: number; endedAtSeconds: number | null; endReason: EndReason | null }[];
  endedAtSeconds: number;
}

export type PolicyDecision =
  | { kind: 'send' }
  | { kind: 'hold'; until: string; reason: string }
  | { kind: 'drop'; reason: string };

export type RenderResult =
  | { ok: true; text: string; messageType: 'marketing' | 'transactional' }
  | { ok: false; problems: ErrorDetail[] };

/** One action of a keyword response, as the service resolved it for the simulation. */
export interface SimulatedResponseAction {
  action: Action;
  /** A start_flow of the simulated flow itself (it then starts a run here). */
  startsThisFlow: boolean;
  /** What it would do, for the timeline: `add to list "Offers"`. */
  describe: string;
}

/** A custom keyword's response (keyword-responses) as the simulation plays it. */
export interface SimulatedKeywordResponse {
  /** In order, before the reply (keyword-responder.ts). */
  actions: SimulatedResponseAction[];
  /** The reply rendered for the person as the actions left them; null: no reply configured. */
  reply(ctx: PersonContext & { keyword: string }): Promise<RenderResult | null>;
}

export interface PersonContext {
  phone: string;
  consent: ConsentState;
  attributes: Record<string, unknown>;
}

export interface SimulateDeps {
  /** The credential's keyword rules for an incoming text (classifyInbound with the trigger credential). */
  classify(text: string): { category: InboundCategory; keyword: string | null };
  /** The credential's automatic reply text for a category (opt-out confirmation, help…), null: none. */
  systemReply(category: InboundCategory, keyword: string | null): string | null;
  /** The credential's response to a custom keyword; null or absent: none (systemReply is asked). */
  keywordResponse?(keyword: string): Promise<SimulatedKeywordResponse | null>;
  /** Render a template for the person as a send would produce it (footer added); messageType for the consent gate. */
  render(templateId: string, ctx: PersonContext): Promise<RenderResult>;
  /** Consent gate for a flow send (uses consentBlock with the sandbox's policy); null: may send. */
  consentBlock(consent: ConsentState, messageType: 'marketing' | 'transactional'): string | null;
  /** Send-time policy for a flow send at `at` (asked for marketing texts only); absent: none. */
  policy?(at: Date, attributes: Record<string, unknown>): PolicyDecision;
}

export const SIMULATION_LIMITS = {
  lines: 200,
  textLength: 1600,
  /** The simulated clock stops here: 400 days. */
  horizonSeconds: 400 * 86_400,
  /** Interpreter calls per simulation: a flow that keeps runs going cannot hold the server. */
  interpreterCalls: 10_000,
} as const;

/** The number the simulated person texts from (a fictional 555-01xx number). */
export const SIMULATED_PHONE = '+15555550100';

const DAY_MS = 86_400_000;

interface SimRun {
  number: number;
  state: RunState;
  startedAt: number;
  endedAt: number | null;
  endReason: EndReason | null;
  /** The wait's deadline, in ms from the start; null once ended. */
  dueAt: number | null;
}

/** Runs the script and answers what would have gone out and what the runs did. */
export async function simulateFlow(
  definition: FlowDefinition,
  input: SimulateInput,
  deps: SimulateDeps,
  start: Date,
): Promise<SimulationResult> {
  return new Simulation(definition, input, deps, start).run();
}

class Simulation {
  private readonly messages: SimulatedMessage[] = [];
  private readonly timeline: SimulationResult['timeline'] = [];
  private readonly runs: SimRun[] = [];
  private consent: ConsentState;
  private attributes: Record<string, unknown>;
  private calls = 0;
  /** When the interpreter-call budget ran out (ms from the start); null while it lasts. */
  private stoppedAt: number | null = null;
  /** The times (ms from the start) of this flow's texts that were queued or held. */
  private readonly sendTimes: number[] = [];

  constructor(
    private readonly definition: FlowDefinition,
    private readonly input: SimulateInput,
    private readonly deps: SimulateDeps,
    private readonly start: Date,
  ) {
    // Guess: a person the service knows nothing about has unknown consent.
    this.consent = input.consent ?? 'unknown';
    this.attributes = structuredClone(input.attributes ?? {});
    this.phone = input.phone ?? SIMULATED_PHONE;
  }

  private readonly phone: string;

  async run(): Promise<SimulationResult> {
    const horizon = SIMULATION_LIMITS.horizonSeconds * 1000;
    const until =
      this.input.untilSeconds !== undefined
        ? clamp(this.input.untilSeconds * 1000, 0, horizon)
        : horizon;
    const lines = this.input.script
      .slice(0, SIMULATION_LIMITS.lines)
      .filter((l) => Number.isFinite(l.atSeconds))
      .map((l, i) => ({
        at: clamp(Math.round(l.atSeconds * 1000), 0, horizon),
        text: l.text.slice(0, SIMULATION_LIMITS.textLength),
        i,
      }))
      // Stable: lines at the same second keep the script's order.
      .sort((a, b) => a.at - b.at || a.i - b.i);

    // Said first: a case the credential's keywords take for themselves explains a run ending.
    for (const c of shadowedCases(this.definition, (text) => this.deps.classify(text))) {
      this.note(0, c.stepId, 'warning', c.message);
    }
    if (this.input.start === true) await this.startRun(0, this.startedBy());
    let next = 0;
    let lastLine = 0;
    while (this.stoppedAt === null) {
      const line = lines[next];
      const timer = this.nextTimer();
      const lineAt = line?.at ?? Infinity;
      const timerAt = timer?.dueAt ?? Infinity;
      const t = Math.min(lineAt, timerAt);
      if (t === Infinity || t > until) break;
      if (line !== undefined && lineAt <= timerAt) {
        next++;
        lastLine = line.at;
        await this.text(line.at, line.text);
      } else if (timer !== undefined) {
        await this.step(timer, { kind: 'timer' }, timerAt);
      }
    }

    const lastEnd = Math.max(0, ...this.runs.map((r) => r.endedAt ?? horizon));
    const endedAt =
      this.stoppedAt ??
      (this.input.untilSeconds !== undefined
        ? until
        : Math.min(horizon, Math.max(lastLine, lastEnd) + 1000));
    return {
      messages: this.messages,
      timeline: this.timeline,
      runs: this.runs.map((r) => ({
        startedAtSeconds: r.startedAt / 1000,
        endedAtSeconds: r.endedAt === null ? null : r.endedAt / 1000,
        endReason: r.endReason,
      })),
      endedAtSeconds: endedAt / 1000,
    };
  }

  private startedBy(): string {
    const trigger = this.definition.trigger;
    if (trigger.type === 'keyword')
      return `started without a text (the trigger is ${trigger.keyword})`;
    if (trigger.type === 'segment_entered') return `entered segment ${trigger.segmentId}`;
    return `event ${trigger.event}`;
  }

  private active(): SimRun[] {
    return this.runs.filter((r) => r.endedAt === null);
  }

  private nextTimer(): SimRun | undefined {
    let soonest: SimRun | undefined;
    for (const r of this.active()) {
      if (r.dueAt !== null && (soonest === undefined || r.dueAt < soonest.dueAt!)) soonest = r;
    }
    return soonest;
  }

  private note(t: number, stepId: string | null, kind: string, detail: string, run?: SimRun): void {
    // Several runs at once (oneRunPerPerson off): say whose note it is.
    const who =
      run !== undefined && !this.definition.settings.oneRunPerPerson ? `run ${run.number}: ` : '';
    this.timeline.push({
      at: this.iso(t),
      atSeconds: t / 1000,
      stepId,
      kind,
      detail: who + detail,
    });
  }

  private iso(t: number): string {
    return new Date(this.start.getTime() + t).toISOString();
  }

  /** One text from the person, handled in the inbound engine's order (inbound.service.ts). */
  private async text(t: number, text: string): Promise<void> {
    const { category, keyword } = this.deps.classify(text);
    this.note(
      t,
      null,
      'text',
      `the person texts "${quote(text)}" (${describeCategory(category, keyword)})`,
    );
    switch (category) {
      case 'opt_out':
        this.consent = 'unsubscribed';
        for (const r of this.active()) this.end(r, t, 'opted_out', 'the person opted out');
        this.reply(t, category, keyword);
        return;
      case 'opt_in':
      case 'help':
      case 'double_opt_in':
      case 'fuzzy_opt_out':
        if (category === 'opt_in') this.consent = 'subscribed';
        if (category === 'double_opt_in' && this.consent !== 'subscribed') this.consent = 'pending';
        for (const r of this.waitingForReply()) {
          this.end(
            r,
            t,
            'preempted',
            `${describeCategory(category, keyword)} is never a flow's reply`,
          );
        }
        this.reply(t, category, keyword);
        return;
      case 'custom': {
        const word = keyword ?? '';
        this.recordKeyword(word, t);
        const started = await this.keywordResponse(t, word);
        if (started === null) this.reply(t, category, word);
        await this.handToRuns(t, text);
        const trigger = this.definition.trigger;
        if (trigger.type === 'keyword' && normalizeKeyword(word) === trigger.keyword) {
          await this.startRun(t, `texted ${word}`);
        }
        // As the runner takes a run the response started after the text's transaction: its
        // first steps come after the reply, and it is not handed the keyword as a reply.
        for (const run of started ?? []) await this.step(run, { kind: 'start' }, t);
        return;
      }
      case 'none': {
        const trigger = this.definition.trigger;
        if (trigger.type === 'keyword' && matchForm(text) === matchForm(trigger.keyword)) {
          // The engine starts flows on custom keywords only: say why this text started none.
          this.note(
            t,
            null,
            'not_started',
            `${trigger.keyword} is not a custom keyword of the credential, so it starts no run`,
          );
        }
        if (!(await this.handToRuns(t, text))) this.reply(t, category, null);
        return;
      }
    }
  }

  /** The credential's own reply to a text, when it has one. */
  private reply(t: number, category: InboundCategory, keyword: string | null): void {
    const text = this.deps.systemReply(category, keyword);
    if (text === null) return;
    this.replyMessage(t, text, category === 'opt_out');
  }

  /** An automatic reply, gated as the inbound engine queues it (queueReply). */
  private replyMessage(t: number, text: string, optOutConfirmation = false): void {
    const block = consentBlock(
      this.consent,
      'transactional',
      'not-unsubscribed',
      optOutConfirmation ? 'opt_out_reply' : 'reply',
    );
    this.messages.push({
      atSeconds: t / 1000,
      at: this.iso(t),
      stepId: null,
      kind: 'reply',
      text,
      status: block === null ? 'would_send' : 'suppressed',
      reason: block,
    });
  }

  /**
   * The keyword's configured response: its actions in order, then its reply rendered as they
   * left the person (keyword-responder.ts). Null when the keyword has none; else the runs its
   * start_flow created, for the caller to step.
   */
  private async keywordResponse(t: number, keyword: string): Promise<SimRun[] | null> {
    const response = (await this.deps.keywordResponse?.(keyword)) ?? null;
    if (response === null) return null;
    const who = `keyword ${keyword}'s response`;
    const started: SimRun[] = [];
    for (const a of response.actions) {
      if (a.action.type === 'start_flow') {
        if (a.startsThisFlow) {
          const run = await this.startRun(t, `texted ${keyword} (${who}: start_flow)`, true);
          if (run !== null) started.push(run);
        } else this.note(t, null, 'action', `${who} would ${a.describe} (not simulated)`);
        continue;
      }
      this.act(a.action);
      this.note(t, null, 'action', `${who} would ${a.describe} (simulated)`);
    }
    const rendered = await response.reply({
      phone: this.phone,
      consent: this.consent,
      attributes: this.attributes,
      keyword,
    });
    if (rendered === null) return started;
    if (!rendered.ok) {
      const why = rendered.problems.map((p) => p.message).join('; ');
      this.messages.push({
        atSeconds: t / 1000,
        at: this.iso(t),
        stepId: null,
        kind: 'reply',
        text: null,
        status: 'failed',
        reason: why,
      });
      this.note(t, null, 'reply_failed', `${who} sends no reply: ${why}`);
      return started;
    }
    this.replyMessage(t, rendered.text);
    return started;
  }

  /** What addKeywordAttribute stores on the profile, so templates can read it. */
  private recordKeyword(keyword: string, t: number): void {
    const all = {
      ...((this.attributes.keywords as Record<string, KeywordCount> | undefined) ?? {}),
    };
    const before = all[keyword];
    const at = this.iso(t);
    all[keyword] = { count: (before?.count ?? 0) + 1, firstAt: before?.firstAt ?? at, lastAt: at };
    this.attributes = { ...this.attributes, keywords: all };
  }

  private waitingForReply(): SimRun[] {
    return this.active().filter((r) => r.state.waiting?.untilReply === true);
  }

  /** Gives the text to every run waiting for a reply; true when one took it. */
  private async handToRuns(t: number, text: string): Promise<boolean> {
    const waiting = this.waitingForReply();
    for (const r of waiting) {
      await this.step(
        r,
        { kind: 'reply', reply: { text, inboundMessageId: null, at: this.iso(t) } },
        t,
      );
    }
    return waiting.length > 0;
  }

  /** A new run, stepped at once unless `later` (the caller steps it); null when refused. */
  private async startRun(t: number, trigger: string, later = false): Promise<SimRun | null> {
    if (this.definition.settings.oneRunPerPerson && this.active().length > 0) {
      this.note(
        t,
        null,
        'not_started',
        `${trigger}: no new run, the person is already in one (oneRunPerPerson)`,
      );
      return null;
    }
    const run: SimRun = {
      number: this.runs.length + 1,
      state: initialState(this.definition),
      startedAt: t,
      endedAt: null,
      endReason: null,
      dueAt: null,
    };
    this.runs.push(run);
    this.note(t, null, 'started', `the run starts: ${trigger}`, run);
    if (!later) await this.step(run, { kind: 'start' }, t);
    return run;
  }

  /** One interpreter call and its effects, as the runner's transaction does them. */
  private async step(run: SimRun, input: RunInput, t: number): Promise<void> {
    if (this.calls >= SIMULATION_LIMITS.interpreterCalls) {
      this.stoppedAt = t;
      this.note(
        t,
        null,
        'stopped',
        `the simulation stops: it made ${SIMULATION_LIMITS.interpreterCalls} steps`,
      );
      return;
    }
    this.calls++;
    const result = advance(this.definition, run.state, input, new Date(this.start.getTime() + t));
    const applied = await this.execute(run, result, t);
    run.state = applied.state;
    if (applied.status === 'ended') {
      run.endedAt = t;
      run.endReason = applied.endReason;
      run.dueAt = null;
    } else {
      run.dueAt = applied.dueAt === null ? null : Date.parse(applied.dueAt) - this.start.getTime();
    }
  }

  /**
   * The advance's effects in order, each 'sent' or 'action' note paired with its effect as the
   * engine does; the per-day guard may end the run midway (the rest is then not done).
   */
  private async execute(run: SimRun, result: Advance, t: number): Promise<Advance> {
    let effect = 0;
    for (const note of result.timeline) {
      const e =
        note.kind === 'sent' || note.kind === 'action' ? result.effects[effect++] : undefined;
      if (e === undefined) {
        this.note(t, note.stepId, note.kind, note.detail, run);
      } else if (e.kind === 'action') {
        this.act(e.action);
        this.note(t, note.stepId, 'action', `${note.detail} (simulated)`, run);
      } else {
        // As countFlowSends: the texts queued since exactly 24 hours ago, that instant included.
        const perDay = this.definition.settings.maxSendsPerDay;
        if (this.sendTimes.filter((s) => s >= t - DAY_MS).length >= perDay) {
          this.note(
            t,
            e.stepId,
            'ended',
            `the run ends (loop_guard): this flow sent ${perDay} texts to the number in 24 hours and this would be one more`,
            run,
          );
          return {
            ...result,
            state: { ...result.state, position: null, waiting: null },
            status: 'ended',
            endReason: 'loop_guard',
            dueAt: null,
          };
        }
        const sent = await this.send(e.stepId, e.templateId, t);
        this.note(t, e.stepId, sent.kind, sent.detail, run);
      }
    }
    return result;
  }

  /** A flow text: rendered, gated by consent, judged by the send-time policy; never sent. */
  private async send(
    stepId: string,
    templateId: string,
    t: number,
  ): Promise<{ kind: 'sent' | 'send_skipped' | 'send_failed'; detail: string }> {
    const at = new Date(this.start.getTime() + t);
    const message = (
      text: string | null,
      status: SimulatedMessage['status'],
      reason: string | null,
    ) =>
      this.messages.push({
        atSeconds: t / 1000,
        at: at.toISOString(),
        stepId,
        kind: 'flow',
        text,
        status,
        reason,
      });
    const rendered = await this.deps.render(templateId, {
      phone: this.phone,
      consent: this.consent,
      attributes: this.attributes,
    });
    if (!rendered.ok) {
      const why = rendered.problems.map((p) => p.message).join('; ');
      message(null, 'failed', why);
      return {
        kind: 'send_failed',
        detail: `not sent: template ${templateId} does not render (${why})`,
      };
    }
    const block = this.deps.consentBlock(this.consent, rendered.messageType);
    if (block !== null) {
      message(rendered.text, 'suppressed', block);
      return { kind: 'send_skipped', detail: `not sent: ${block}` };
    }
    // As policyApplies (send-policy.ts): the send-time policy judges marketing texts only.
    const decision: PolicyDecision =
      rendered.messageType === 'marketing' && this.deps.policy
        ? this.deps.policy(at, this.attributes)
        : { kind: 'send' };
    if (decision.kind === 'drop') {
      message(rendered.text, 'suppressed', decision.reason);
      return {
        kind: 'send_skipped',
        detail: `not sent: the send-time policy dropped it (${decision.reason})`,
      };
    }
    this.sendTimes.push(t);
    if (decision.kind === 'hold') {
      const reason = `${decision.reason} (held until ${decision.until})`;
      message(rendered.text, 'held', reason);
      return { kind: 'sent', detail: `would queue "${quote(rendered.text)}", held: ${reason}` };
    }
    message(rendered.text, 'would_send', null);
    return { kind: 'sent', detail: `would send "${quote(rendered.text)}"` };
  }

  /** An action's effect on the simulated person (lists and webhooks leave no trace here). */
  private act(action: FlowAction): void {
    switch (action.type) {
      case 'set_consent':
        this.consent = action.to;
        return;
      case 'set_attribute':
        this.attributes = { ...this.attributes, [action.name]: action.value };
        return;
      case 'clear_attribute': {
        const { [action.name]: _gone, ...rest } = this.attributes;
        this.attributes = rest;
        return;
      }
      default:
        return;
    }
  }

  private end(run: SimRun, t: number, reason: EndReason, why: string): void {
    run.state = { ...run.state, position: null, waiting: null };
    run.endedAt = t;
    run.endReason = reason;
    run.dueAt = null;
    this.note(t, null, 'ended', `the run ends (${reason}): ${why}`, run);
  }
}

interface KeywordCount {
  count: number;
  firstAt: string;
  lastAt: string;
}

function describeCategory(category: InboundCategory, keyword: string | null): string {
  const word = keyword === null ? '' : ` ${keyword}`;
  switch (category) {
    case 'opt_out':
      return `opt-out keyword${word}`;
    case 'opt_in':
      return `opt-in keyword${word}`;
    case 'help':
      return `help keyword${word}`;
    case 'double_opt_in':
      return `double opt-in keyword${word}`;
    case 'custom':
      return `custom keyword${word}`;
    case 'fuzzy_opt_out':
      return 'an opt-out in other words';
    case 'none':
      return 'free text';
  }
}

function quote(text: string): string {
  const flat = text.slice(0, 240).replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 60)}…` : flat;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
