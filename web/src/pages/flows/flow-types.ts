/**
 * The flows API's shapes as the console reads them: the definition types come from the server's
 * own module (src/flows/definition.ts, types only), the resources from the contract's routes.
 */
import type { EndReason, FlowDefinition, TimelineNote } from '../../../../src/flows/definition.js';

export type {
  BranchCase,
  BranchMatch,
  EndReason,
  FlowDefinition,
  FlowSettings,
  FlowStep,
  FlowTrigger,
} from '../../../../src/flows/definition.js';
export type { FlowAction } from '../../../../src/automation/action.js';

export type FlowStatus = 'draft' | 'active' | 'paused';
export const FLOW_STATUSES: FlowStatus[] = ['draft', 'active', 'paused'];

/** `GET /v1/flows/{id}`. */
export interface Flow {
  id: string;
  sandbox: string;
  name: string;
  status: FlowStatus;
  version: number;
  definition: FlowDefinition;
  activeRuns: number;
  createdAt: string;
  updatedAt: string;
}

/** `GET /v1/flow-runs`: one run of a flow for one person. */
export interface FlowRun {
  id: string;
  flowId: string;
  /** Null once the flow was deleted. */
  flowName: string | null;
  flowVersion: number;
  phone: string;
  profileId: string | null;
  status: 'active' | 'ended';
  position: string | null;
  waiting: { stepId: string; untilReply: boolean; dueAt: string } | null;
  dueAt: string | null;
  sends: number;
  endReason: EndReason | null;
  startedAt: string;
  updatedAt: string;
  endedAt: string | null;
}

export interface RunTimelineEntry {
  at: string;
  stepId: string | null;
  kind: string;
  detail: string;
  messageId: string | null;
}

/** `GET /v1/flow-runs/{id}`. */
export interface FlowRunDetail extends FlowRun {
  timeline: RunTimelineEntry[];
}

export interface ScriptLine {
  atSeconds: number;
  text: string;
}

export type SimulatedConsent = 'subscribed' | 'unsubscribed' | 'pending' | 'unknown';

/** `POST /v1/flows/{id}/simulate` body (the unsaved definition rides along). */
export interface SimulateBody {
  script: ScriptLine[];
  start?: boolean;
  untilSeconds?: number;
  consent?: SimulatedConsent;
  attributes?: Record<string, unknown>;
  /** A number whose profile (consent, attributes, time zone) the simulation uses. */
  phone?: string;
  definition?: unknown;
}

export interface SimulatedMessage {
  atSeconds: number;
  at: string;
  stepId: string | null;
  kind: 'flow' | 'reply';
  text: string | null;
  status: 'would_send' | 'suppressed' | 'held' | 'failed';
  reason: string | null;
}

export interface SimulationResult {
  messages: SimulatedMessage[];
  timeline: (TimelineNote & { atSeconds: number })[];
  runs: { startedAtSeconds: number; endedAtSeconds: number | null; endReason: EndReason | null }[];
  endedAtSeconds: number;
}

/** `POST /v1/flows/validate`. */
export interface ValidateAnswer {
  ok: boolean;
  problems: { path?: string; message: string }[];
}

/** Events that change a run list. */
export const RUN_EVENTS = ['flow.run.started', 'flow.run.ended'];
