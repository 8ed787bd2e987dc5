import type { Flow, FlowRun, FlowRunDetail } from '../flows/flow.js';
import { FLOW_STATUSES } from '../flows/flow.js';
import type { SimulationResult } from '../flows/simulate.js';
import { oneOf } from './flag-values.js';
import { printJson, printRecord, printTable } from './output.js';
import {
  body,
  need,
  pageQuery,
  printPage,
  resourceCommand,
  seg,
  type Page,
} from './resource-commands.js';
import { UsageError, type ResourceFlags } from './usage.js';

/** `tern flows list|get|create|update|delete|validate|simulate|runs|run|cancel-run` */
export const flowsCommand = resourceCommand<Flow>({
  noun: 'flow',
  collection: '/v1/flows',
  list: {
    limit: 50,
    query: (flags) => ({ status: oneOf(flags, FLOW_STATUSES), name: flags.name }),
    columns: ['id', 'name', 'status', 'version', 'trigger', 'steps', 'activeRuns', 'updatedAt'],
    row: (f) => ({ ...f, trigger: triggerText(f), steps: f.definition.steps.length }),
  },
  print: (flags, f) => (flags.json ? printJson(f) : printFlow(f)),
  verbs: {
    validate: async ({ api, flags }) => {
      const answer = await api.post<{
        ok: boolean;
        problems: { path?: string; message: string }[];
      }>('/v1/flows/validate', body(flags));
      if (flags.json) printJson(answer);
      else if (answer.ok) console.log('The definition is valid.');
      if (answer.ok) return 0;
      // Not valid: exit 1, every problem named (on stderr, as any refused body).
      const message = 'The definition is not valid.';
      if (flags.json)
        console.error(
          JSON.stringify({
            error: { code: 'validation_failed', message, details: answer.problems },
          }),
        );
      else {
        console.error(`tern flows: ${message}`);
        for (const p of answer.problems) console.error(`  ${p.path ?? ''} ${p.message}`.trimEnd());
      }
      return 1;
    },
    simulate: async ({ api, path, flags }) => {
      const result = await api.post<SimulationResult>(`${path()}/simulate`, body(flags));
      return flags.json ? printJson(result) : printSimulation(result);
    },
    runs: async ({ api, id, flags }) => {
      const page = await api.get<Page<FlowRun>>('/v1/flow-runs', {
        ...pageQuery(flags, 50),
        flowId: id,
        phone: flags.phone,
        status: runStatusFlag(flags),
      });
      return printPage(
        flags,
        page,
        ['id', 'flowName', 'phone', 'status', 'where', 'sends', 'startedAt', 'endedAt'],
        (r) => ({ ...r, where: where(r) }),
      );
    },
    run: async ({ api, id, flags }) => {
      const run = await api.get<FlowRunDetail>(`/v1/flow-runs/${seg(need(id, 'run'))}`);
      return flags.json ? printJson(run) : printRun(run);
    },
    'cancel-run': async ({ api, id, flags }) => {
      const run = await api.post<FlowRunDetail>(`/v1/flow-runs/${seg(need(id, 'run'))}/cancel`);
      return flags.json ? printJson(run) : printRun(run);
    },
  },
});

function runStatusFlag(flags: ResourceFlags): 'active' | 'ended' | undefined {
  const status = flags.status;
  if (status === undefined) return undefined;
  if (status !== 'active' && status !== 'ended')
    throw new UsageError('--status must be one of: active, ended');
  return status;
}

function triggerText(f: Flow): string {
  const t = f.definition.trigger;
  if (t.type === 'keyword') return `keyword ${t.keyword}`;
  if (t.type === 'segment_entered') return `segment ${t.segmentId}`;
  return `event ${t.event}`;
}

function printFlow(f: Flow): void {
  printRecord({
    id: f.id,
    name: f.name,
    status: f.status,
    version: f.version,
    trigger: triggerText(f),
    channelConfigurationId: f.definition.channelConfigurationId,
    settings: f.definition.settings,
    activeRuns: f.activeRuns,
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
  });
  console.log('\nSteps');
  printTable(
    f.definition.steps.map((s) => {
      const { id, type, ...rest } = s;
      return { id, type, fields: JSON.stringify(rest) };
    }),
    ['id', 'type', 'fields'],
  );
}

/** An offset from the simulation's start: `0 s`, `1 d 2 h`. */
export function offset(seconds: number): string {
  if (seconds <= 0) return '0 s';
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n} ${unit}`);
    rest -= n * size;
  }
  return parts.join(' ');
}

function printSimulation(r: SimulationResult): void {
  console.log('Messages that would go out');
  printTable(
    r.messages.map((m) => ({ ...m, at: offset(m.atSeconds) })),
    ['at', 'kind', 'stepId', 'status', 'text', 'reason'],
  );
  console.log('\nTimeline');
  printTable(
    r.timeline.map((t) => ({ ...t, at: offset(t.atSeconds) })),
    ['at', 'stepId', 'kind', 'detail'],
  );
  console.log('\nRuns');
  printTable(
    r.runs.map((run) => ({
      started: offset(run.startedAtSeconds),
      ended: run.endedAtSeconds === null ? 'still going' : offset(run.endedAtSeconds),
      endReason: run.endReason,
    })),
    ['started', 'ended', 'endReason'],
  );
}

function where(r: FlowRun): string {
  if (r.status === 'ended') return r.endReason ?? 'ended';
  if (r.waiting)
    return `${r.waiting.untilReply ? 'reply or ' : ''}${r.waiting.dueAt} at ${r.waiting.stepId}`;
  return r.position ?? '';
}

function printRun(r: FlowRunDetail): void {
  const { timeline, waiting, ...rest } = r;
  printRecord({ ...rest, waiting: waiting ? `${waiting.stepId} until ${waiting.dueAt}` : null });
  console.log('\nTimeline');
  printTable(timeline as unknown as Record<string, unknown>[], [
    'at',
    'stepId',
    'kind',
    'detail',
    'messageId',
  ]);
}
