import type { FlowRunEventsTable, FlowRunsTable, FlowsTable } from '../db/schema.js';
import type { EndReason, FlowDefinition, FlowTrigger, RunState } from './definition.js';

/** A flow's lifecycle: only an `active` flow starts runs and advances them. */
export type FlowStatus = 'draft' | 'active' | 'paused';
export const FLOW_STATUSES: readonly FlowStatus[] = ['draft', 'active', 'paused'];

/** A flow as the API shows it. */
export interface Flow {
  id: string;
  sandbox: string;
  name: string;
  status: FlowStatus;
  version: number;
  definition: FlowDefinition;
  /** Runs of the flow now active (any version). */
  activeRuns: number;
  createdAt: string;
  updatedAt: string;
}

export interface FlowVersion {
  flowId: string;
  version: number;
  definition: FlowDefinition;
  createdAt: string;
}

export type RunStatus = 'active' | 'ended';

/** A run as the API lists it. */
export interface FlowRun {
  id: string;
  flowId: string;
  /** Null once the flow was deleted. */
  flowName: string | null;
  flowVersion: number;
  phone: string;
  profileId: string | null;
  status: RunStatus;
  position: string | null;
  waiting: RunState['waiting'];
  dueAt: string | null;
  sends: number;
  endReason: EndReason | null;
  startedAt: string;
  updatedAt: string;
  endedAt: string | null;
}

export interface TimelineEntry {
  at: string;
  stepId: string | null;
  kind: string;
  detail: string;
  messageId: string | null;
}

export type FlowRunDetail = FlowRun & { timeline: TimelineEntry[] };

/** The lookup key of a trigger (flows.trigger_key): what an inbound text, event or segment finds. */
export function triggerKey(trigger: FlowTrigger): string {
  switch (trigger.type) {
    case 'keyword':
      return `${trigger.credentialId}:${trigger.keyword}`;
    case 'segment_entered':
      return trigger.segmentId;
    case 'api_event':
      return trigger.event;
  }
}

export function flowFromRow(row: FlowsTable, activeRuns: number): Flow {
  return {
    id: row.id,
    sandbox: row.sandbox,
    name: row.name,
    status: row.status as FlowStatus,
    version: Number(row.version),
    definition: JSON.parse(row.definition) as FlowDefinition,
    activeRuns,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function runFromRow(row: FlowRunsTable, flowName: string | null): FlowRun {
  const state = JSON.parse(row.state) as RunState;
  return {
    id: row.id,
    flowId: row.flow_id,
    flowName,
    flowVersion: Number(row.flow_version),
    phone: row.phone,
    profileId: row.profile_id,
    status: row.status as RunStatus,
    position: state.position,
    waiting: state.waiting,
    dueAt: row.status === 'active' ? row.due_at : null,
    sends: Number(row.sends),
    endReason: row.end_reason as EndReason | null,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    endedAt: row.ended_at,
  };
}

export function timelineFromRow(row: FlowRunEventsTable): TimelineEntry {
  return {
    at: row.at,
    stepId: row.step_id,
    kind: row.kind,
    detail: row.detail,
    messageId: row.message_id,
  };
}
