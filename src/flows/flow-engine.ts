import { applyAction } from '../automation/apply-action.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { Executor } from '../db/executor.js';
import { AppError } from '../errors.js';
import { recordEvent, recordEvents } from '../events/events.js';
import { newId } from '../ids.js';
import { ChunkPolicy, type ChunkPolicySource } from '../messages/batch-policy.js';
import { consentBlock } from '../messages/consent-gate.js';
import type { NewMessage } from '../messages/message.js';
import { enqueueMessages } from '../messages/message.repository.js';
import { checkMessage } from '../messages/message.rules.js';
import { SendContexts } from '../messages/send-context.js';
import {
  applyDecision,
  heldEvents,
  policyApplies,
  type PolicyListener,
} from '../messages/send-policy.js';
import { consentWithoutProfile, type ConsentState } from '../profiles/consent.js';
import { findProfileByPhone } from '../profiles/profile.repository.js';
import { checkRendered } from '../templates/check.js';
import { compileTemplate, type CompiledTemplate } from '../templates/render.js';
import { findTemplate } from '../templates/template.repository.js';
import type {
  Advance,
  EndReason,
  FlowDefinition,
  ReplyInfo,
  RunInput,
  RunState,
  TimelineNote,
} from './definition.js';
import {
  countFlowSends,
  findFlowDefinition,
  findFlowRow,
  findRunRow,
  insertTimeline,
  type RunRow,
} from './flow.repository.js';
import { advance, initialState } from './interpreter.js';

/** Starts runs of a flow (keyword responses' start_flow, the triggers). */
export interface FlowStarter {
  startRun(
    trx: Executor,
    input: {
      sandbox: string;
      flowId: string;
      phone: string;
      profileId: string | null;
      credentialId: string | null;
      /** For the timeline: "texted OFFERS". */
      trigger: string;
    },
  ): Promise<{ started: true; runId: string } | { started: false; reason: string }>;
}

export interface FlowEngineDeps {
  db: Db;
  clock: Clock;
  /** Waits last `seconds / timeScale` (TERN_FLOW_TIME_SCALE); default 1. */
  timeScale?: number;
  /** The send-time policy a flow's marketing texts are judged by; absent: none. */
  policy?: { source: ChunkPolicySource; onOutcome?: PolicyListener };
}

const DAY_MS = 86_400_000;
const COMPILED_MAX = 1_000;
/** Flow versions kept parsed (a version is at most 50 steps: ~20 kB of JSON). */
const DEFINITIONS_MAX = 1_000;

/**
 * A step that failed this many times in a row (rolled back whole each time, retried a second
 * later by the runner) ends its run `failed`: a fault that repeats is not waited out forever.
 */
export const STEP_FAILURES_MAX = 5;
/** Runs whose failures are counted at once; beyond it the counts start again (bounded memory). */
const FAILURES_TRACKED_MAX = 10_000;

type Note = TimelineNote & { messageId?: string | null };
/** The send-time policy of the step, its cap counts read (in the step) on first use. */
type PolicyFor = () => Promise<ChunkPolicy>;

/**
 * Takes a run's steps: one transaction per step (advance, its effects, the new state, the
 * timeline), guarded by the runner's lease and the run's version, so a step commits whole or
 * not at all and is never taken twice. Also starts and ends runs for the triggers, the inbound
 * engine and the API.
 */
export class FlowEngine implements FlowStarter {
  private readonly contexts = new SendContexts();
  private readonly compiled = new Map<string, CompiledTemplate>();
  private readonly definitions = new Map<string, FlowDefinition>();
  /**
   * Consecutive failures of a run's step in this process, by run id, at the run's version (a
   * failed step rolls back, so an unchanged version is the same step; a restart counts anew).
   */
  private readonly failures = new Map<string, { version: number; count: number }>();

  constructor(private readonly deps: FlowEngineDeps) {}

  async startRun(
    trx: Executor,
    input: Parameters<FlowStarter['startRun']>[1],
  ): Promise<{ started: true; runId: string } | { started: false; reason: string }> {
    const { clock } = this.deps;
    const flow = await findFlowRow(trx, input.sandbox, input.flowId);
    if (!flow) return { started: false, reason: `no flow ${input.flowId} in this sandbox` };
    if (flow.status !== 'active')
      return { started: false, reason: `flow "${flow.name}" is ${flow.status}` };
    const definition = JSON.parse(flow.definition) as FlowDefinition;
    const exclusive = definition.settings.oneRunPerPerson;
    if (exclusive) {
      const running = await trx
        .selectFrom('flow_runs')
        .select('id')
        .where('sandbox', '=', input.sandbox)
        .where('flow_id', '=', flow.id)
        .where('exclusive_key', '=', input.phone)
        .executeTakeFirst();
      if (running)
        return { started: false, reason: `already in run ${running.id} of flow "${flow.name}"` };
    }
    const now = clock.now().toISOString();
    const id = newId();
    const row: RunRow = {
      sandbox: input.sandbox,
      id,
      flow_id: flow.id,
      flow_version: Number(flow.version),
      phone: input.phone,
      profile_id: input.profileId,
      credential_id: input.credentialId,
      status: 'active',
      state: JSON.stringify(initialState(definition)),
      // Due at once: the runner takes the first steps.
      due_at: now,
      pending_reply: null,
      exclusive_key: exclusive ? input.phone : null,
      lease_owner: null,
      lease_until: null,
      end_reason: null,
      sends: 0,
      trigger: input.trigger.slice(0, 200),
      version: 1,
      started_at: now,
      updated_at: now,
      ended_at: null,
    };
    // The unique (flow, exclusive_key) index settles two starts at once: ON CONFLICT DO NOTHING
    // (both dialects) rather than a violation, which would abort the caller's transaction.
    const inserted = await trx
      .insertInto('flow_runs')
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1)
      return { started: false, reason: `already in a run of flow "${flow.name}"` };
    await insertTimeline(trx, input.sandbox, id, [
      {
        at: now,
        stepId: null,
        kind: 'started',
        detail: `started (version ${flow.version}): ${input.trigger}`,
      },
    ]);
    await recordEvent(trx, clock, {
      sandbox: input.sandbox,
      type: 'flow.run.started',
      payload: { flowId: flow.id, runId: id, phone: input.phone, profileId: input.profileId },
    });
    return { started: true, runId: id };
  }

  /**
   * Ends an active run (STOP, a pre-empting keyword, a cancel, the flow deleted) whatever step
   * it is at; false when it had ended already. On PostgreSQL a step in progress holds the row:
   * this waits for it, then ends the run it committed.
   */
  async endRun(trx: Executor, run: RunRow, reason: EndReason, detail: string): Promise<boolean> {
    const { clock } = this.deps;
    const now = clock.now().toISOString();
    const state = JSON.parse(run.state) as RunState;
    const ended: RunState = { ...state, position: null, waiting: null };
    const result = await trx
      .updateTable('flow_runs')
      .set((eb) => ({
        status: 'ended',
        end_reason: reason,
        state: JSON.stringify(ended),
        due_at: null,
        pending_reply: null,
        exclusive_key: null,
        lease_owner: null,
        lease_until: null,
        version: eb('version', '+', 1),
        updated_at: now,
        ended_at: now,
      }))
      .where('sandbox', '=', run.sandbox)
      .where('id', '=', run.id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    await insertTimeline(trx, run.sandbox, run.id, [
      {
        at: now,
        stepId: state.position,
        kind: 'ended',
        detail: `the run ends (${reason}): ${detail}`,
      },
    ]);
    await this.endedEvent(trx, run, reason);
    return true;
  }

  private async endedEvent(trx: Executor, run: RunRow, reason: EndReason): Promise<void> {
    await recordEvent(trx, this.deps.clock, {
      sandbox: run.sandbox,
      type: 'flow.run.ended',
      payload: {
        flowId: run.flow_id,
        runId: run.id,
        phone: run.phone,
        profileId: run.profile_id,
        reason,
      },
    });
  }

  /**
   * Takes the due step of a run this runner holds (`owner`). Returns false when there was
   * nothing to do: the run ended, moved to another runner, or its flow is not active.
   */
  async step(
    claim: { sandbox: string; id: string; flow_id: string; phone: string },
    owner: string,
  ): Promise<boolean> {
    const { db, clock } = this.deps;
    const now = clock.now();
    // The rules are read before the transaction (PolicyService reads them on its own
    // connection, which on SQLite would wait for this transaction forever; they are cached, so
    // this is rarely a query); the number's cap counts only for a marketing send, in it.
    const source = this.deps.policy?.source;
    const rules = source ? await source.rulesFor(claim.sandbox) : null;
    const outcomes: { outcome: 'held' | 'dropped'; reason: string }[] = [];
    let taken: RunRow | undefined;
    const done = await db.kysely
      .transaction()
      .execute(async (trx) =>
        this.stepIn(trx, claim, owner, now, rules, outcomes, (run) => (taken = run)),
      )
      .catch(async (error: unknown) => {
        if (taken) await this.stepFailed(taken, owner, error);
        throw error;
      });
    this.failures.delete(claim.id);
    if (done) for (const o of outcomes) this.deps.policy?.onOutcome?.(o.outcome, o.reason);
    return done;
  }

  /**
   * Counts a failed step of a run; the STEP_FAILURES_MAX-th in a row ends the run `failed`,
   * naming the error's message (its first line, bounded; never a stack) in the timeline. Only
   * while this runner still holds the run at the version that failed.
   */
  private async stepFailed(run: RunRow, owner: string, error: unknown): Promise<void> {
    const version = Number(run.version);
    const before = this.failures.get(run.id);
    const count = before?.version === version ? before.count + 1 : 1;
    if (this.failures.size >= FAILURES_TRACKED_MAX) this.failures.clear();
    this.failures.set(run.id, { version, count });
    if (count < STEP_FAILURES_MAX) return;
    const { db } = this.deps;
    const state = JSON.parse(run.state) as RunState;
    const ended = await db.kysely
      .transaction()
      .execute(async (trx) => {
        const now = await findRunRow(trx, db.capabilities, run.sandbox, run.id, true);
        if (!now || now.status !== 'active' || now.lease_owner !== owner) return false;
        if (Number(now.version) !== version) return false;
        return this.endRun(
          trx,
          now,
          'failed',
          `step ${state.position ?? '(start)'} failed ${count} times in a row, the last: ${errorSummary(error)}`,
        );
      })
      // The database itself may be what fails: the count stays, the next failure tries again.
      .catch(() => false);
    if (ended) this.failures.delete(run.id);
  }

  /** One step in its transaction (see step); `onRun` is told of the run once it is read. */
  private async stepIn(
    trx: Executor,
    claim: { sandbox: string; id: string },
    owner: string,
    now: Date,
    rules: Awaited<ReturnType<ChunkPolicySource['rulesFor']>> | null,
    outcomes: { outcome: 'held' | 'dropped'; reason: string }[],
    onRun: (run: RunRow) => void,
  ): Promise<boolean> {
    const { db } = this.deps;
    const source = this.deps.policy?.source;
    const run = await findRunRow(trx, db.capabilities, claim.sandbox, claim.id, true);
    if (!run || run.status !== 'active' || run.lease_owner !== owner) return false;
    onRun(run);
    const flow = await findFlowRow(trx, run.sandbox, run.flow_id);
    if (!flow) {
      await this.endRun(trx, run, 'failed', 'the flow no longer exists');
      return true;
    }
    if (flow.status !== 'active') {
      await this.release(trx, run);
      return false;
    }
    const definition = await this.definition(trx, run);
    if (!definition) {
      await this.endRun(trx, run, 'failed', `version ${run.flow_version} of the flow is gone`);
      return true;
    }
    const state = JSON.parse(run.state) as RunState;
    const pending =
      run.pending_reply === null ? null : (JSON.parse(run.pending_reply) as ReplyInfo);
    const input: RunInput = pending
      ? { kind: 'reply', reply: pending }
      : state.waiting === null
        ? { kind: 'start' }
        : { kind: 'timer' };
    const result = advance(definition, state, input, now, {
      timeScale: this.deps.timeScale ?? 1,
    });
    let loaded: Promise<ChunkPolicy> | undefined;
    const policy: PolicyFor | null =
      source && rules
        ? () =>
            (loaded ??= ChunkPolicy.load(
              {
                rulesFor: () => Promise.resolve(rules),
                recentSendsFor: (sandbox, phones, subject, at) =>
                  source.recentSendsFor(sandbox, phones, subject, at, {
                    db: trx,
                    rules: rules.rules,
                  }),
              },
              run.sandbox,
              run.flow_id,
              [run.phone],
              now,
            ))
        : null;
    const applied = await this.execute(trx, run, definition, result, now, policy, outcomes);
    await this.commitStep(trx, run, applied, now);
    return true;
  }

  /** The flow version a run follows; versions never change, so each is read once. */
  private async definition(trx: Executor, run: RunRow): Promise<FlowDefinition | undefined> {
    const key = `${run.sandbox}\u0000${run.flow_id}\u0000${run.flow_version}`;
    const hit = this.definitions.get(key);
    if (hit) return hit;
    const found = await findFlowDefinition(trx, run.sandbox, run.flow_id, Number(run.flow_version));
    if (found) {
      if (this.definitions.size >= DEFINITIONS_MAX) this.definitions.clear();
      this.definitions.set(key, found);
    }
    return found;
  }

  /** Shortens this runner's lease on a run whose step failed: another try after `ms`. */
  async retryLater(run: { sandbox: string; id: string }, owner: string, ms: number): Promise<void> {
    const until = new Date(this.deps.clock.now().getTime() + ms).toISOString();
    await this.deps.db.kysely
      .updateTable('flow_runs')
      .set({ lease_until: until })
      .where('sandbox', '=', run.sandbox)
      .where('id', '=', run.id)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /** Gives a claimed run back without a step (its flow is paused): due again when resumed. */
  private async release(trx: Executor, run: RunRow): Promise<void> {
    await trx
      .updateTable('flow_runs')
      .set({ lease_owner: null, lease_until: null })
      .where('sandbox', '=', run.sandbox)
      .where('id', '=', run.id)
      .execute();
  }

  /**
   * Runs the advance's effects in order, rewriting the interpreter's notes with what happened
   * (the message queued, or why none was); the per-day loop guard may end the run midway.
   */
  private async execute(
    trx: Executor,
    run: RunRow,
    definition: FlowDefinition,
    result: Advance,
    now: Date,
    policy: PolicyFor | null,
    outcomes: { outcome: 'held' | 'dropped'; reason: string }[],
  ): Promise<{ advance: Advance; notes: Note[] }> {
    const notes: Note[] = [];
    let effect = 0;
    let sentToday: number | null = null;
    for (const note of result.timeline) {
      if (note.kind !== 'sent' && note.kind !== 'action') {
        notes.push(note);
        continue;
      }
      const e = result.effects[effect++];
      if (!e) {
        notes.push(note);
        continue;
      }
      if (e.kind === 'action') {
        const outcome = await applyAction(
          trx,
          this.deps.clock,
          {
            sandbox: run.sandbox,
            phone: run.phone,
            source: { kind: 'flow', flowId: run.flow_id, runId: run.id, stepId: e.stepId },
          },
          e.action,
        );
        notes.push({
          ...note,
          kind: outcome.ok ? 'action' : 'action_failed',
          detail: outcome.detail,
        });
        continue;
      }
      sentToday ??= await countFlowSends(
        trx,
        run.sandbox,
        run.flow_id,
        run.phone,
        new Date(now.getTime() - DAY_MS).toISOString(),
      );
      const perDay = definition.settings.maxSendsPerDay;
      if (sentToday >= perDay) {
        notes.push({
          at: note.at,
          stepId: e.stepId,
          kind: 'ended',
          detail: `the run ends (loop_guard): this flow sent ${perDay} texts to the number in 24 hours and this would be one more`,
        });
        const state: RunState = { ...result.state, position: null, waiting: null };
        return {
          advance: {
            state,
            effects: [],
            timeline: [],
            status: 'ended',
            endReason: 'loop_guard',
            dueAt: null,
          },
          notes,
        };
      }
      const sent = await this.send(trx, run, definition, e.templateId, now, policy, outcomes);
      if (sent.kind === 'sent') sentToday++;
      notes.push({
        at: note.at,
        stepId: e.stepId,
        kind: sent.kind,
        detail: sent.detail,
        messageId: sent.messageId,
      });
    }
    return { advance: result, notes };
  }

  /** Renders, checks, gates and queues one text of a send step, in the step's transaction. */
  private async send(
    trx: Executor,
    run: RunRow,
    definition: FlowDefinition,
    templateId: string,
    now: Date,
    policy: PolicyFor | null,
    outcomes: { outcome: 'held' | 'dropped'; reason: string }[],
  ): Promise<{
    kind: 'sent' | 'send_skipped' | 'send_failed';
    detail: string;
    messageId: string | null;
  }> {
    const fail = (detail: string) => ({ kind: 'send_failed' as const, detail, messageId: null });
    const channelId = definition.channelConfigurationId;
    if (channelId === null) return fail('the flow has no channel configuration');
    const send = await this.contexts.get(trx, run.sandbox, channelId);
    if (!send) return fail(`channel configuration ${channelId} no longer exists`);
    const template = await findTemplate(trx, run.sandbox, templateId);
    if (!template) return fail(`template ${templateId} no longer exists`);
    const profile = await findProfileByPhone(trx, run.sandbox, run.phone);
    const consent: ConsentState =
      profile?.consent ?? (await consentWithoutProfile(trx, run.sandbox, run.phone));
    const block = consentBlock(consent, template.messageType, send.policy, 'flow');
    if (block) return { kind: 'send_skipped', detail: `not sent: ${block}`, messageId: null };
    let compiled: CompiledTemplate;
    try {
      compiled = this.compile(template);
    } catch (error) {
      // Templates are checked at save; one that no longer parses fails this send, not the run.
      if (!(error instanceof AppError)) throw error;
      return fail(`template "${template.name}" does not parse: ${error.message}`);
    }
    const rendered = compiled.render({
      profile: {
        id: profile?.id ?? null,
        phone: run.phone,
        consent,
        attributes: profile?.attributes ?? {},
      },
      sandbox: { name: run.sandbox },
      campaign: null,
    });
    const first = (problems: { path?: string; message: string }[]) =>
      problems[0]
        ? `: ${problems[0].path ? `${problems[0].path} ` : ''}${problems[0].message}`
        : '';
    if (!rendered.ok)
      return fail(`template "${template.name}" did not render${first(rendered.problems)}`);
    const rules = checkRendered(rendered.text, template, send.channel);
    if (!rules.ok) return fail(`the rendered text is not sendable${first(rules.problems)}`);
    const checked = checkMessage(
      {
        to: run.phone,
        text: rendered.text,
        media: template.media,
        messageType: template.messageType,
        channelConfigurationId: send.channel.id,
        ...(template.dltContentTemplateId !== null
          ? { dltContentTemplateId: template.dltContentTemplateId }
          : {}),
      },
      send.channel,
      send.credential,
      now,
    );
    if (!checked.ok)
      return fail(`the message does not pass the send rules${first(checked.problems)}`);
    const m = checked.message;
    const message: NewMessage = {
      sandbox: run.sandbox,
      channelConfigurationId: send.channel.id,
      credentialId: send.credential.id,
      channel: send.channel.channel,
      messageType: m.messageType,
      sender: send.channel.sender,
      to: m.to,
      text: m.text,
      media: m.media,
      callbackData: send.credential.callbackData,
      status: 'queued',
      statusReason: null,
      validUntil: m.validUntil,
      sendAt: m.sendAt,
      segments: m.count.segments,
      encoding: m.count.encoding,
      idempotencyKey: null,
      requestHash: null,
      origin: 'flow',
      inboundMessageId: null,
      ...m.dlt,
    };
    if (policy && policyApplies(message.messageType, 'flow')) {
      const decision = (await policy()).decide(
        message.to,
        profile?.attributes ?? {},
        now,
        message.validUntil,
        'flow',
      );
      const applied = applyDecision(message, decision);
      if (applied) outcomes.push(applied);
    }
    const stored = await enqueueMessages(trx, this.deps.clock, [message]);
    await recordEvents(trx, this.deps.clock, heldEvents(stored));
    const id = stored[0]?.id ?? null;
    if (message.status === 'suppressed')
      return {
        kind: 'send_skipped',
        detail: `not sent: the send-time policy dropped it (${message.statusReason ?? ''})`,
        messageId: id,
      };
    const held = message.policy?.heldUntil;
    return {
      kind: 'sent',
      detail: held
        ? `queued template "${template.name}", held by the send-time policy until ${held}`
        : `queued template "${template.name}"`,
      messageId: id,
    };
  }

  private compile(template: {
    id: string;
    version: number;
    body: string;
    messageType: 'marketing' | 'transactional';
    dltTemplateText: string | null;
  }): CompiledTemplate {
    const key = `${template.id}:${template.version}`;
    let hit = this.compiled.get(key);
    if (!hit) {
      hit = compileTemplate(template);
      if (this.compiled.size >= COMPILED_MAX) this.compiled.clear();
      this.compiled.set(key, hit);
    }
    return hit;
  }

  /** Writes the step's outcome: the new state and deadline, the timeline, the lease let go. */
  private async commitStep(
    trx: Executor,
    run: RunRow,
    applied: { advance: Advance; notes: Note[] },
    now: Date,
  ): Promise<void> {
    const { advance: result, notes } = applied;
    const at = now.toISOString();
    const ended = result.status === 'ended';
    const reason: EndReason | null = ended ? (result.endReason ?? 'completed') : null;
    const updated = await trx
      .updateTable('flow_runs')
      .set({
        state: JSON.stringify(result.state),
        status: ended ? 'ended' : 'active',
        end_reason: reason,
        due_at: ended ? null : (result.dueAt ?? at),
        pending_reply: null,
        exclusive_key: ended ? null : run.exclusive_key,
        lease_owner: null,
        lease_until: null,
        sends: result.state.sends,
        version: Number(run.version) + 1,
        updated_at: at,
        ended_at: ended ? at : null,
      })
      .where('sandbox', '=', run.sandbox)
      .where('id', '=', run.id)
      .where('version', '=', Number(run.version))
      .executeTakeFirst();
    // The row is held since the read (PostgreSQL) or the database is (SQLite): this cannot miss.
    if (Number(updated.numUpdatedRows) !== 1)
      throw new Error(`flow run ${run.id} moved during its step`);
    await insertTimeline(trx, run.sandbox, run.id, notes);
    if (reason !== null) await this.endedEvent(trx, run, reason);
  }
}

/**
 * An error in one bounded line for a run's timeline: the message's first line (no stack), a
 * URL's user and password masked (a connection string in a driver's message).
 */
export function errorSummary(error: unknown): string {
  const message = error instanceof Error ? error.message : 'an error that is not an Error';
  const line = (message.split('\n')[0] ?? '').replace(/\/\/[^/\s@]*@/g, '//***@').trim();
  const text = line === '' ? (error instanceof Error ? error.name : 'unknown error') : line;
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
