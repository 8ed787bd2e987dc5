import type { Action } from '../automation/action.js';
import { applyAction, type ActionOutcome, type ActionSource } from '../automation/apply-action.js';
import type { Clock } from '../clock.js';
import type { Executor } from '../db/executor.js';
import type { FlowStarter } from '../flows/flow-engine.js';
import { AppError, type ErrorDetail } from '../errors.js';
import type { InboundTextContext, KeywordResponder, QueueReply } from '../inbound/automation.js';
import type { Profile } from '../profiles/profile.js';
import { findProfileByPhone } from '../profiles/profile.repository.js';
import { checkRendered } from '../templates/check.js';
import { compileTemplate, type CompiledTemplate } from '../templates/render.js';
import type { Template } from '../templates/template.js';
import { findTemplate } from '../templates/template.repository.js';
import { findKeywordResponse } from './keyword-response.repository.js';

/** What one keyword response did: the reply (or why none) and each action's outcome. */
export interface KeywordResponseOutcome {
  sandbox: string;
  credentialId: string;
  keyword: string;
  inboundMessageId: string;
  replyMessageId: string | null;
  /** Why no reply was queued when a template was configured (render or check problems, a deleted template, a reply limit or no inbound number). */
  replyProblems: ErrorDetail[];
  actions: (ActionOutcome & { type: Action['type'] })[];
}

export interface KeywordResponderDeps {
  clock: Clock;
  /** Runs `start_flow` actions; absent, they fail with a reason (no flow engine). */
  flows?: FlowStarter;
  /** Told of every response carried out (a log line, a test). */
  onOutcome?: (outcome: KeywordResponseOutcome) => void;
}

/** Compiled templates kept; a parse of a 4,000-character body is ~0.1 ms, so this only saves work. */
const COMPILED_MAX = 1_000;

/**
 * Answers a custom keyword with its configured response (keyword-response.service.ts): the
 * actions first, in order, so the reply sees what they did (an attribute set, consent given),
 * then the template rendered for the texter's profile and queued through the inbound engine's
 * `reply` (consent and reply limits apply as to every automatic reply). Inside the text's
 * transaction: all of it commits with the text or none of it. No response configured: nothing
 * happens, and the engine does what it always did (attribute and event).
 */
export class KeywordResponderImpl implements KeywordResponder {
  private readonly compiled = new Map<string, CompiledTemplate>();
  private flows: FlowStarter | undefined;

  constructor(private readonly deps: KeywordResponderDeps) {
    this.flows = deps.flows;
  }

  /** The flow engine, given once it is built (it is built after the inbound service it feeds). */
  setFlowStarter(flows: FlowStarter): void {
    this.flows = flows;
  }

  async respond(
    trx: Executor,
    ctx: InboundTextContext & { keyword: string; profile: Profile },
    reply: QueueReply,
  ): Promise<{ responded: boolean; replyMessageId: string | null }> {
    const { credential, keyword, phone } = ctx;
    const sandbox = credential.sandbox;
    const response = await findKeywordResponse(trx, sandbox, credential.id, keyword);
    if (!response) return { responded: false, replyMessageId: null };
    const source: ActionSource = {
      kind: 'keyword_response',
      credentialId: credential.id,
      keyword,
      inboundMessageId: ctx.inboundMessageId,
    };
    const outcomes: KeywordResponseOutcome['actions'] = [];
    for (const action of response.actions) {
      const outcome =
        action.type === 'start_flow'
          ? await this.startFlow(trx, ctx, action.flowId)
          : await applyAction(trx, this.deps.clock, { sandbox, phone, source }, action);
      outcomes.push({ type: action.type, ...outcome });
    }

    let replyMessageId: string | null = null;
    const replyProblems: ErrorDetail[] = [];
    if (response.templateId !== null) {
      const template = await findTemplate(trx, sandbox, response.templateId);
      if (!template) {
        replyProblems.push({
          path: '/templateId',
          message: `template ${response.templateId} was deleted`,
        });
      } else {
        // Actions may have changed the profile: the reply is rendered from what they left.
        const profile =
          response.actions.length > 0
            ? ((await findProfileByPhone(trx, sandbox, phone)) ?? ctx.profile)
            : ctx.profile;
        const text = this.render(template, profile, keyword, replyProblems);
        if (text !== null) {
          replyMessageId = await reply(text);
          if (replyMessageId === null)
            replyProblems.push({
              message: 'not queued: no inbound number, or an automatic-reply limit was reached',
            });
        }
      }
    }
    this.deps.onOutcome?.({
      sandbox,
      credentialId: credential.id,
      keyword,
      inboundMessageId: ctx.inboundMessageId,
      replyMessageId,
      replyProblems,
      actions: outcomes,
    });
    return { responded: true, replyMessageId };
  }

  private async startFlow(
    trx: Executor,
    ctx: InboundTextContext & { keyword: string; profile: Profile },
    flowId: string,
  ): Promise<ActionOutcome> {
    if (!this.flows) return { ok: false, detail: 'flows are not running in this process' };
    const started = await this.flows.startRun(trx, {
      sandbox: ctx.credential.sandbox,
      flowId,
      phone: ctx.phone,
      profileId: ctx.profile.id,
      credentialId: ctx.credential.id,
      trigger: `texted ${ctx.keyword}`,
    });
    return started.started
      ? { ok: true, detail: `started run ${started.runId} of flow ${flowId}` }
      : { ok: false, detail: `flow ${flowId} not started: ${started.reason}` };
  }

  /** The reply text, or null with the problems (a render failure sends nothing). */
  private render(
    template: Template,
    profile: Profile,
    keyword: string,
    problems: ErrorDetail[],
  ): string | null {
    let compiled: CompiledTemplate;
    try {
      compiled = this.compiledOf(template);
    } catch (error) {
      // A saved version always parses; a body the parser now refuses is still no crash.
      if (!(error instanceof AppError)) throw error;
      problems.push(...error.details);
      return null;
    }
    const rendered = compiled.render({
      profile: {
        id: profile.id,
        phone: profile.phone,
        consent: profile.consent,
        attributes: profile.attributes,
      },
      sandbox: { name: template.sandbox },
      campaign: null,
      keyword,
    });
    if (!rendered.ok) {
      problems.push(...rendered.problems);
      return null;
    }
    // No channel configuration: the reply goes from the credential's inbound number as is.
    const check = checkRendered(rendered.text, template, null);
    if (!check.ok) {
      problems.push(...check.problems);
      return null;
    }
    return check.text;
  }

  private compiledOf(template: Template): CompiledTemplate {
    const key = `${template.sandbox}\u0000${template.id}\u0000${template.version}`;
    let compiled = this.compiled.get(key);
    if (!compiled) {
      compiled = compileTemplate(template);
      if (this.compiled.size >= COMPILED_MAX) {
        const oldest = this.compiled.keys().next().value;
        if (oldest !== undefined) this.compiled.delete(oldest);
      }
      this.compiled.set(key, compiled);
    }
    return compiled;
  }
}
