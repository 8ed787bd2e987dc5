import type { FlowAction } from '../automation/action.js';

/**
 * A flow as stored: a trigger, the channel its texts go out on, its guards, and a list of
 * steps run in order (a step's `next`, a branch's targets jump by step id). The TypeBox schema
 * and the checks beyond it are in definition-schema.ts; the pure interpreter in interpreter.ts.
 */

export const FLOW_LIMITS = {
  steps: 50,
  stepIdLength: 40,
  branchCases: 20,
  /** A branch's keyword or `contains` text. */
  matchLength: 160,
  /** The longest wait: 90 days. */
  waitSecondsMax: 90 * 86_400,
  maxSendsPerRun: 100,
  maxSendsPerDay: 50,
  /** Steps one advance may run before the run is ended (`step_limit`): a loop without a wait. */
  stepsPerAdvance: 100,
  eventNameLength: 64,
} as const;

export type FlowTrigger =
  /** A custom inbound keyword of the credential, texted to its inbound number. */
  | { type: 'keyword'; credentialId: string; keyword: string }
  /** A profile entered a live segment (`segment.entered`). */
  | { type: 'segment_entered'; segmentId: string }
  /** `POST /api/v1/flow-events` with this event name. */
  | { type: 'api_event'; event: string };

/**
 * How a branch matches the last reply: `keyword`, the whole reply is that word (compared as
 * keywords are, case and diacritics folded); `contains`, the folded reply contains the text;
 * `any`, any reply.
 */
export type BranchMatch = { keyword: string } | { contains: string } | { any: true };

export interface BranchCase {
  match: BranchMatch;
  goto: string;
}

interface StepBase {
  /** Unique in the flow: letters, digits, `_` and `-`, at most 40. */
  id: string;
  /** The step after this one; default the next in the list (the run ends after the last). */
  next?: string;
}

/** Renders a template (its current version) for the person and sends it on the flow's channel. */
export type SendStep = StepBase & { type: 'send'; templateId: string };
/**
 * Waits `seconds`; with `untilReply`, a reply from the person ends the wait at once and becomes
 * the run's last reply (the next branch reads it); a timeout clears the last reply.
 */
export type WaitStep = StepBase & { type: 'wait'; seconds: number; untilReply?: boolean };
/**
 * Jumps on the last reply: the first matching case's `goto`; `otherwise` when a reply matched
 * no case; `noReply` when there is no reply (the wait timed out). Either absent: `next`.
 */
export type BranchStep = StepBase & {
  type: 'branch';
  cases: BranchCase[];
  otherwise?: string;
  noReply?: string;
};
export type EndStep = { id: string; type: 'end' };
export type ActionStep = StepBase & FlowAction;

export type FlowStep = SendStep | WaitStep | BranchStep | ActionStep | EndStep;

export interface FlowSettings {
  /** A person is in at most one run of this flow at a time (default true). */
  oneRunPerPerson: boolean;
  /** Sends a run may make before it is ended (`loop_guard`); default 5. */
  maxSendsPerRun: number;
  /** Sends of this flow to one person in 24 hours before a run is ended (`loop_guard`); default 3. */
  maxSendsPerDay: number;
}

export const DEFAULT_FLOW_SETTINGS: FlowSettings = {
  oneRunPerPerson: true,
  maxSendsPerRun: 5,
  maxSendsPerDay: 3,
};

export interface FlowDefinition {
  trigger: FlowTrigger;
  /** The channel configuration the flow's texts go out on; required when a step sends. */
  channelConfigurationId: string | null;
  settings: FlowSettings;
  steps: FlowStep[];
}

// ---- the interpreter's state and answers (interpreter.ts) ----

export interface ReplyInfo {
  text: string;
  inboundMessageId: string | null;
  at: string;
}

export interface RunState {
  /** The step to run next; null once the run has ended. */
  position: string | null;
  /** The wait the run is in, if any. */
  waiting: { stepId: string; untilReply: boolean; dueAt: string } | null;
  /** The reply the last `untilReply` wait got; null after a timeout. */
  lastReply: ReplyInfo | null;
  /** Sends made so far (the per-run loop guard). */
  sends: number;
}

export type RunInput =
  | { kind: 'start' }
  /** The wait's deadline passed. */
  | { kind: 'timer' }
  | { kind: 'reply'; reply: ReplyInfo };

/** What the runner must do, in order, in the same transaction as the new state. */
export type Effect =
  | { kind: 'send'; stepId: string; templateId: string }
  | { kind: 'action'; stepId: string; action: FlowAction };

export type EndReason =
  | 'completed'
  | 'end_step'
  | 'opted_out'
  | 'preempted'
  | 'loop_guard'
  | 'step_limit'
  | 'cancelled'
  | 'flow_deleted'
  | 'failed';

export interface TimelineNote {
  at: string;
  stepId: string | null;
  /** e.g. started, sent, action, waiting, replied, timed_out, branched, ended. */
  kind: string;
  /** A sentence for people ("waiting up to 1 day for a reply"). */
  detail: string;
}

export interface Advance {
  state: RunState;
  effects: Effect[];
  timeline: TimelineNote[];
  status: 'waiting' | 'ended';
  endReason: EndReason | null;
  /** When the runner should look again (the wait's deadline); null once ended. */
  dueAt: string | null;
}

export interface AdvanceOptions {
  /** Waits last `seconds / timeScale` (the demo's accelerated clock); default 1. */
  timeScale?: number;
}
