import { recordAudit } from '../audit/audit.js';
import { validateActionRefs } from '../automation/action-refs.js';
import { FLOW_ACTION_TYPES, type Action } from '../automation/action.js';
import type { Clock } from '../clock.js';
import type { Actor } from '../auth/principal.js';
import { findCredential } from '../credentials/credential.repository.js';
import type { Db } from '../db/database.js';
import { isUniqueViolation } from '../db/dialect.js';
import type { Executor } from '../db/executor.js';
import type { Page } from '../db/pagination.js';
import { AppError, staleVersionError, type ErrorDetail } from '../errors.js';
import { newId } from '../ids.js';
import { SendContexts } from '../messages/send-context.js';
import { normalizeE164 } from '../phone.js';
import { consentWithoutProfile } from '../profiles/consent.js';
import { findProfileByPhone } from '../profiles/profile.repository.js';
import { findTemplate } from '../templates/template.repository.js';
import { findSegment } from '../audiences/audience.repository.js';
import type { FlowDefinition } from './definition.js';
import { classifyInbound, type InboundCategory } from '../inbound/classify.js';
import type { ChunkPolicySource } from '../messages/batch-policy.js';
import { consentBlock } from '../messages/consent-gate.js';
import { decide } from '../policy/decide.js';
import { locateRecipient } from '../policy/locate.js';
import type { Credential } from '../credentials/credential.js';
import { consentPolicyOf } from '../sandboxes/sandboxes.js';
import { checkRendered } from '../templates/check.js';
import { compileTemplate } from '../templates/render.js';
import {
  SIMULATED_PHONE,
  simulateFlow,
  type PolicyDecision,
  type SimulateDeps,
  type SimulateInput,
  type SimulationResult,
} from './simulate.js';
import { checkDefinition } from './definition-schema.js';
import { simulatedKeywordResponse } from './simulate-keyword.js';
import type { FlowEngine } from './flow-engine.js';
import {
  FLOW_STATUSES,
  triggerKey,
  type Flow,
  type FlowRun,
  type FlowRunDetail,
  type FlowStatus,
  type FlowVersion,
} from './flow.js';
import {
  activeRunCounts,
  advanceFlow,
  deleteFlowRows,
  findFlow,
  findFlowRow,
  findRun,
  findRunRow,
  flowsByTrigger,
  insertFlow,
  insertFlowVersion,
  listFlowVersions,
  listFlows,
  listRuns,
  runTimeline,
  type FlowRow,
  type RunQuery,
} from './flow.repository.js';

export const FLOW_NAME_MAX = 100;

/** What a create or update request carries (the route's schema bounds it). */
export interface FlowInput {
  name?: string;
  definition?: unknown;
  status?: FlowStatus;
}

export interface FlowEventInput {
  event: string;
  phone: string;
  data?: Record<string, unknown>;
}

export interface FlowEventResult {
  runs: { flowId: string; runId: string }[];
  skipped: { flowId: string; reason: string }[];
}

/** Flows: versioned definitions per sandbox, their runs and timelines, the API trigger. */
export class FlowService {
  private readonly contexts = new SendContexts();

  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      engine: FlowEngine;
      /** The send-time policy a simulation judges marketing sends by; absent: none. */
      policy?: ChunkPolicySource;
    },
  ) {}

  get engine(): FlowEngine {
    return this.deps.engine;
  }

  list(
    sandbox: string,
    query: { status?: FlowStatus; name?: string; cursor?: string; limit: number },
  ): Promise<Page<Flow>> {
    return listFlows(this.deps.db.kysely, sandbox, query);
  }

  async get(sandbox: string, id: string): Promise<Flow> {
    const flow = await findFlow(this.deps.db.kysely, sandbox, id);
    if (!flow) throw new AppError('not_found', `No flow ${id} in this sandbox.`);
    return flow;
  }

  /** Checks a definition in full (structure, then what it refers to in the sandbox). */
  async validate(
    sandbox: string,
    definition: unknown,
    basePath = '/definition',
  ): Promise<{ ok: true; definition: FlowDefinition } | { ok: false; problems: ErrorDetail[] }> {
    const checked = checkDefinition(definition, basePath);
    if (!checked.ok) return checked;
    const problems = await this.refProblems(
      this.deps.db.kysely,
      sandbox,
      checked.definition,
      basePath,
    );
    return problems.length > 0 ? { ok: false, problems } : checked;
  }

  /** The referents the schema cannot see: credential and keyword, segment, channel, templates, lists. */
  private async refProblems(
    db: Executor,
    sandbox: string,
    d: FlowDefinition,
    base: string,
  ): Promise<ErrorDetail[]> {
    const problems: ErrorDetail[] = [];
    const add = (path: string, message: string) => problems.push({ path: base + path, message });
    const trigger = d.trigger;
    if (trigger.type === 'keyword') {
      const stored = await findCredential(db, sandbox, trigger.credentialId);
      if (!stored) add('/trigger/credentialId', 'is not a credential of this sandbox');
      else {
        const keywords = stored.credential.customInboundKeywords;
        if (!keywords.includes(trigger.keyword))
          add(
            '/trigger/keyword',
            keywords.length === 0
              ? `is not a custom inbound keyword of credential "${stored.credential.name}", which has none (add it to customInboundKeywords first)`
              : `is not a custom inbound keyword of credential "${stored.credential.name}": one of ${keywords.join(', ')}`,
          );
      }
    } else if (trigger.type === 'segment_entered') {
      const segment = await findSegment(db, sandbox, trigger.segmentId);
      if (!segment) add('/trigger/segmentId', 'is not a segment of this sandbox');
      else if (!segment.live)
        add(
          '/trigger/segmentId',
          `segment "${segment.name}" is not live: only live segments say who entered them`,
        );
    }
    if (d.channelConfigurationId !== null) {
      const send = await this.contexts.get(db, sandbox, d.channelConfigurationId);
      if (!send) add('/channelConfigurationId', 'is not a channel configuration of this sandbox');
    }
    const actions: { action: Action; path: string }[] = [];
    for (const [i, step] of d.steps.entries()) {
      if (step.type === 'send') {
        const template = await findTemplate(db, sandbox, step.templateId);
        if (!template) add(`/steps/${i}/templateId`, 'is not a template of this sandbox');
      } else if ((FLOW_ACTION_TYPES as readonly string[]).includes(step.type)) {
        const { id: _id, next: _next, ...action } = step as typeof step & { next?: string };
        actions.push({ action: action as Action, path: `${base}/steps/${i}` });
      }
    }
    problems.push(...(await validateActionRefs(db, sandbox, actions)));
    return problems;
  }

  private async checked(sandbox: string, definition: unknown): Promise<FlowDefinition> {
    const result = await this.validate(sandbox, definition);
    if (!result.ok)
      throw new AppError('validation_failed', 'The flow definition is not valid.', result.problems);
    return result.definition;
  }

  private name(input: string | undefined, required: boolean): string | undefined {
    if (input === undefined) {
      if (required)
        throw new AppError('validation_failed', 'The flow needs a name.', [
          { path: '/name', message: 'is required' },
        ]);
      return undefined;
    }
    const name = input.trim();
    if (name === '' || name.length > FLOW_NAME_MAX)
      throw new AppError('validation_failed', 'The flow name is not valid.', [
        { path: '/name', message: `must be 1 to ${FLOW_NAME_MAX} characters` },
      ]);
    return name;
  }

  async create(sandbox: string, actor: Actor, input: FlowInput): Promise<Flow> {
    const name = this.name(input.name, true)!;
    if (input.definition === undefined)
      throw new AppError('validation_failed', 'The flow needs a definition.', [
        {
          path: '/definition',
          message: 'is required: { trigger, steps, channelConfigurationId?, settings? }',
        },
      ]);
    const definition = await this.checked(sandbox, input.definition);
    const now = this.deps.clock.now().toISOString();
    const row: FlowRow = {
      sandbox,
      id: newId(),
      name,
      status: input.status ?? 'draft',
      version: 1,
      definition: JSON.stringify(definition),
      trigger_type: definition.trigger.type,
      trigger_key: triggerKey(definition.trigger),
      created_at: now,
      updated_at: now,
    };
    await this.write(name, async (trx) => {
      await insertFlow(trx, row);
      await insertFlowVersion(trx, {
        sandbox,
        flowId: row.id,
        version: 1,
        definition,
        at: now,
        actor: actor.id,
      });
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'flow.created',
        resourceType: 'flow',
        resourceId: row.id,
        resourceName: name,
        fields: ['name', 'definition', 'status'],
        details: { version: 1, status: row.status },
      });
    });
    return this.get(sandbox, row.id);
  }

  /**
   * A new definition makes a new version (runs keep the one they started on); a name or status
   * change alone moves the version too (it is the ETag). `expectedVersion` is If-Match.
   */
  async update(
    sandbox: string,
    actor: Actor,
    id: string,
    input: FlowInput,
    expectedVersion: number | undefined,
  ): Promise<Flow> {
    const before = await findFlowRow(this.deps.db.kysely, sandbox, id);
    if (!before) throw new AppError('not_found', `No flow ${id} in this sandbox.`);
    if (expectedVersion !== undefined && expectedVersion !== Number(before.version))
      throw staleVersionError('flow', Number(before.version));
    const name = this.name(input.name, false) ?? before.name;
    const definition =
      input.definition === undefined ? undefined : await this.checked(sandbox, input.definition);
    const newDefinition =
      definition !== undefined && JSON.stringify(definition) !== before.definition;
    const fields: string[] = [];
    if (name !== before.name) fields.push('name');
    if (newDefinition) fields.push('definition');
    if (input.status !== undefined && input.status !== before.status) fields.push('status');
    if (fields.length === 0) return this.get(sandbox, id);
    const now = this.deps.clock.now().toISOString();
    const version = Number(before.version) + 1;
    const stored = newDefinition ? definition : (JSON.parse(before.definition) as FlowDefinition);
    const row: FlowRow = {
      ...before,
      name,
      status: input.status ?? before.status,
      version,
      definition: JSON.stringify(stored),
      trigger_type: stored.trigger.type,
      trigger_key: triggerKey(stored.trigger),
      updated_at: now,
    };
    await this.write(name, async (trx) => {
      if (!(await advanceFlow(trx, row, Number(before.version)))) throw staleVersionError('flow');
      // Every version number has its definition (unchanged ones repeat it): a run started on
      // any version finds what it runs.
      await insertFlowVersion(trx, {
        sandbox,
        flowId: id,
        version,
        definition: stored,
        at: now,
        actor: actor.id,
      });
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'flow.updated',
        resourceType: 'flow',
        resourceId: id,
        resourceName: name,
        fields,
        details: { version, status: row.status },
      });
    });
    return this.get(sandbox, id);
  }

  /** Deletes the flow and its versions; its active runs end `flow_deleted`, their timelines stay. */
  async delete(sandbox: string, actor: Actor, id: string): Promise<void> {
    const { engine } = this.deps;
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const flow = await findFlowRow(trx, sandbox, id);
      if (!flow) throw new AppError('not_found', `No flow ${id} in this sandbox.`);
      const active = await trx
        .selectFrom('flow_runs')
        .selectAll()
        .where('sandbox', '=', sandbox)
        .where('flow_id', '=', id)
        .where('status', '=', 'active')
        .execute();
      for (const run of active)
        await engine.endRun(trx, run, 'flow_deleted', 'the flow was deleted');
      await deleteFlowRows(trx, sandbox, id);
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'flow.deleted',
        resourceType: 'flow',
        resourceId: id,
        resourceName: flow.name,
        fields: [],
        details: { endedRuns: active.length },
      });
    });
  }

  async versions(
    sandbox: string,
    id: string,
    query: { cursor?: string; limit: number },
  ): Promise<Page<FlowVersion>> {
    await this.get(sandbox, id);
    let beforeVersion: number | undefined;
    if (query.cursor !== undefined && query.cursor !== '') {
      if (!/^[1-9]\d{0,8}$/.test(query.cursor))
        throw new AppError('validation_failed', 'The cursor is not valid.', [
          { path: '/querystring/cursor', message: 'use the nextCursor of a previous page' },
        ]);
      beforeVersion = Number(query.cursor);
    }
    return listFlowVersions(this.deps.db.kysely, sandbox, id, {
      beforeVersion,
      limit: query.limit,
    });
  }

  async runs(sandbox: string, query: RunQuery): Promise<Page<FlowRun>> {
    if (query.cursor !== undefined && query.cursor !== '') {
      const id = Buffer.from(query.cursor, 'base64url').toString('utf8');
      if (!/^[0-9a-f-]{36}$/.test(id))
        throw new AppError('validation_failed', 'The cursor is not valid.', [
          { path: '/querystring/cursor', message: 'use the nextCursor of a previous page' },
        ]);
    }
    const phone = query.phone === undefined ? undefined : normalizeE164(query.phone);
    if (query.phone !== undefined && !phone)
      throw new AppError('validation_failed', 'The phone is not valid.', [
        {
          path: '/querystring/phone',
          message: 'must be a phone number in international format, e.g. +14155550100',
        },
      ]);
    return listRuns(this.deps.db.kysely, sandbox, { ...query, ...(phone ? { phone } : {}) });
  }

  async run(sandbox: string, id: string): Promise<FlowRunDetail> {
    const db = this.deps.db.kysely;
    const run = await findRun(db, sandbox, id);
    if (!run) throw new AppError('not_found', `No flow run ${id} in this sandbox.`);
    return { ...run, timeline: await runTimeline(db, sandbox, id) };
  }

  /** Ends an active run `cancelled`; 409 when it has ended already. */
  async cancelRun(sandbox: string, actor: Actor, id: string): Promise<FlowRunDetail> {
    const { db, engine, clock } = this.deps;
    await db.kysely.transaction().execute(async (trx) => {
      const row = await findRunRow(trx, db.capabilities, sandbox, id, true);
      if (!row) throw new AppError('not_found', `No flow run ${id} in this sandbox.`);
      if (
        row.status !== 'active' ||
        !(await engine.endRun(trx, row, 'cancelled', 'cancelled through the API'))
      )
        throw new AppError(
          'conflict',
          `Flow run ${id} has ended already (${row.end_reason ?? 'ended'}).`,
          [{ path: '/id', message: 'the run is not active' }],
        );
      await recordAudit(trx, clock, {
        sandbox,
        actor,
        action: 'flow_run.cancelled',
        resourceType: 'flow_run',
        resourceId: id,
        // The flow's name: a run has none of its own, and its phone stays out of the log.
        resourceName: (await findFlowRow(trx, sandbox, row.flow_id))?.name ?? null,
        fields: [],
        details: { flowId: row.flow_id },
      });
    });
    return this.run(sandbox, id);
  }

  /** `POST /v1/flow-events`: starts a run of every active flow triggered by the event's name. */
  async flowEvent(sandbox: string, input: FlowEventInput): Promise<FlowEventResult> {
    const phone = normalizeE164(input.phone);
    if (!phone)
      throw new AppError('validation_failed', 'The phone is not valid.', [
        {
          path: '/phone',
          message: 'must be a phone number in international format, e.g. +14155550100',
        },
      ]);
    const { db, engine } = this.deps;
    return db.kysely.transaction().execute(async (trx) => {
      const flows = await flowsByTrigger(trx, sandbox, 'api_event', input.event);
      const profile = await findProfileByPhone(trx, sandbox, phone);
      const result: FlowEventResult = { runs: [], skipped: [] };
      for (const flow of flows) {
        const r = await engine.startRun(trx, {
          sandbox,
          flowId: flow.id,
          phone,
          profileId: profile?.id ?? null,
          credentialId: null,
          trigger: `event "${input.event}" from the API`,
        });
        if (r.started) result.runs.push({ flowId: flow.id, runId: r.runId });
        else result.skipped.push({ flowId: flow.id, reason: r.reason });
      }
      return result;
    });
  }

  /**
   * Runs a flow (or an unsaved edit of it) against a scripted conversation on a manual clock
   * starting now: real rendering, the trigger credential's keyword rules and replies, the
   * sandbox's consent policy and send-time rules. Sends nothing, writes nothing.
   */
  async simulate(
    sandbox: string,
    id: string,
    input: SimulateInput & { definition?: unknown },
  ): Promise<SimulationResult> {
    const flow = await this.get(sandbox, id);
    const { definition: draft, ...given } = input;
    let definition = flow.definition;
    if (draft !== undefined) definition = await this.checked(sandbox, draft);
    const db = this.deps.db.kysely;
    const script = await this.simulatedPerson(sandbox, given);
    const phone = script.phone ?? SIMULATED_PHONE;
    const send =
      definition.channelConfigurationId === null
        ? null
        : await this.contexts.get(db, sandbox, definition.channelConfigurationId);
    const credentialId =
      definition.trigger.type === 'keyword' ? definition.trigger.credentialId : send?.credential.id;
    const credential: Credential | null =
      credentialId === undefined
        ? null
        : ((await findCredential(db, sandbox, credentialId))?.credential ?? null);
    const sandboxRow = await db
      .selectFrom('sandboxes')
      .select('consent_policy')
      .where('name', '=', sandbox)
      .executeTakeFirst();
    const consentPolicy = consentPolicyOf(sandboxRow?.consent_policy);
    const rules = this.deps.policy ? await this.deps.policy.rulesFor(sandbox) : null;
    const templates = new Map<string, Awaited<ReturnType<typeof findTemplate>>>();
    const responses = new Map<string, ReturnType<typeof simulatedKeywordResponse>>();
    const deps: SimulateDeps = {
      classify: (text) => {
        if (!credential) return { category: 'none', keyword: null };
        const c = classifyInbound(text, credential);
        return { category: c.category, keyword: c.keyword };
      },
      systemReply: (category: InboundCategory) => {
        if (!credential) return null;
        switch (category) {
          case 'opt_out':
            return credential.optOutMessage;
          case 'opt_in':
            return credential.optInMessage;
          case 'help':
            return credential.helpMessage;
          case 'double_opt_in':
            return credential.doubleOptInMessage;
          case 'fuzzy_opt_out':
            return credential.fuzzyOptOutReply;
          case 'custom':
            // A keyword response's reply comes from keywordResponse below.
            return null;
          case 'none':
            return credential.defaultInboundReply === '' ? null : credential.defaultInboundReply;
        }
      },
      keywordResponse: (keyword) => {
        if (!credential) return Promise.resolve(null);
        // Read once per keyword: a script of 200 texts asks again and again.
        let found = responses.get(keyword);
        if (!found) {
          found = simulatedKeywordResponse(db, sandbox, credential, id, keyword);
          responses.set(keyword, found);
        }
        return found;
      },
      render: async (templateId, ctx) => {
        if (!templates.has(templateId))
          templates.set(templateId, await findTemplate(db, sandbox, templateId));
        const template = templates.get(templateId);
        if (!template)
          return {
            ok: false,
            problems: [{ path: '/templateId', message: `template ${templateId} does not exist` }],
          };
        const rendered = compileTemplate(template).render({
          profile: { id: null, phone: ctx.phone, consent: ctx.consent, attributes: ctx.attributes },
          sandbox: { name: sandbox },
          campaign: null,
        });
        if (!rendered.ok) return rendered;
        const checked = checkRendered(rendered.text, template, send?.channel ?? null);
        if (!checked.ok) return { ok: false, problems: checked.problems };
        // The final text, as checkMessage makes it for the send: the marketing footer added.
        return { ok: true, text: checked.text, messageType: template.messageType };
      },
      consentBlock: (consent, messageType) =>
        consentBlock(consent, messageType, consentPolicy, 'flow'),
      ...(rules
        ? {
            policy: (at: Date, attributes: Record<string, unknown>): PolicyDecision => {
              const decision = decide(
                {
                  to: phone,
                  messageType: 'marketing',
                  origin: 'flow',
                  location: locateRecipient(phone, attributes, rules.defaultTimeZone),
                  validUntil: '9999-12-31T23:59:59.999Z',
                  subject: id,
                  recentSends: { number: 0, subject: 0 },
                },
                rules.rules,
                at,
              );
              if (decision.action === 'send') return { kind: 'send' };
              if (decision.action === 'hold')
                return {
                  kind: 'hold',
                  until: decision.until,
                  reason: `held by rule ${decision.rule}`,
                };
              return { kind: 'drop', reason: `${decision.reason} (rule ${decision.rule})` };
            },
          }
        : {}),
    };
    return simulateFlow(definition, script, deps, this.deps.clock.now());
  }

  /**
   * The simulated person: a `phone` with a profile in the sandbox brings its consent and
   * attributes (without one, the ledger's consent, as the engine reads it); explicit `consent`
   * and `attributes` override. No phone: unknown consent, no attributes.
   */
  private async simulatedPerson(sandbox: string, input: SimulateInput): Promise<SimulateInput> {
    if (input.phone === undefined) return input;
    const phone = normalizeE164(input.phone);
    if (!phone)
      throw new AppError('validation_failed', 'The phone is not valid.', [
        {
          path: '/phone',
          message: 'must be a phone number in international format, e.g. +14155550100',
        },
      ]);
    const db = this.deps.db.kysely;
    const profile = await findProfileByPhone(db, sandbox, phone);
    return {
      ...input,
      phone,
      consent:
        input.consent ?? profile?.consent ?? (await consentWithoutProfile(db, sandbox, phone)),
      attributes: input.attributes ?? profile?.attributes ?? {},
    };
  }

  /** Active runs per flow, for a page the console shows. */
  activeRuns(sandbox: string, ids: string[]): Promise<Map<string, number>> {
    return activeRunCounts(this.deps.db.kysely, sandbox, ids);
  }

  private async write(name: string, work: (trx: Executor) => Promise<void>): Promise<void> {
    try {
      await this.deps.db.kysely.transaction().execute(work);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new AppError('conflict', `A flow named "${name}" already exists in this sandbox.`, [
        { path: '/name', message: 'is taken in this sandbox' },
      ]);
    }
  }
}

export { FLOW_STATUSES };
