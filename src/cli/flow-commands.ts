import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Flow, FlowRun, FlowRunDetail } from '../flows/flow.js';
import { FLOW_STATUSES, type FlowStatus } from '../flows/flow.js';
import type { SimulationResult } from '../flows/simulate.js';
import {
  FlowCreateBody,
  FlowSimulateBody,
  FlowUpdateBody,
  FlowValidateBody,
} from '../http/routes/flows.js';
import type { FlowInput } from '../flows/flow.service.js';
import { checked, limitFlag } from './checked-body.js';
import { printJson, printRecord, printTable } from './output.js';
import { body, CLI_ACTOR, need, sandboxOf, version, withRuntime } from './resource-commands.js';
import { UsageError, type ResourceFlags } from './usage.js';

const VERBS = 'list, get, create, update, delete, validate, simulate, runs, run or cancel-run';

/**
 * The JSON body: `--data '{…}'`, `--file body.json`, or `--file -` for standard input (a
 * definition piped from another tool). At most 1 MB, as the API's body limit.
 */
function input(flags: ResourceFlags): Record<string, unknown> {
  if (flags.file !== '-') return body(flags);
  const text = readFileSync(0, 'utf8');
  if (text.length > 1_048_576) throw new UsageError('the body on standard input is over 1 MB');
  return body({ data: text });
}

/** `tern flows list|get|create|update|delete|validate|simulate|runs|run|cancel-run` */
export async function flowsCommand(
  config: Config,
  [verb, id]: string[],
  flags: ResourceFlags,
): Promise<void> {
  await withRuntime(config, async (runtime) => {
    const flows = runtime.services.flows;
    const sandbox = await sandboxOf(runtime, flags);
    const show = (f: Flow) => (flags.json ? printJson(f) : printFlow(f));
    const flowId = () => need(id, 'flow');
    switch (verb) {
      case 'list': {
        const page = await flows.list(sandbox, {
          status: statusFlag(flags),
          ...(flags.name ? { name: flags.name } : {}),
          ...(flags.cursor ? { cursor: flags.cursor } : {}),
          limit: limitFlag(flags),
        });
        if (flags.json) return printJson(page);
        printTable(
          page.items.map((f) => ({
            ...f,
            trigger: triggerText(f),
            steps: f.definition.steps.length,
          })),
          ['id', 'name', 'status', 'version', 'trigger', 'steps', 'activeRuns', 'updatedAt'],
        );
        if (page.nextCursor) console.log(`\nMore: --cursor ${page.nextCursor}`);
        return;
      }
      case 'get':
        return show(await flows.get(sandbox, flowId()));
      case 'create':
        return show(
          await flows.create(sandbox, CLI_ACTOR, checked<FlowInput>(input(flags), FlowCreateBody)),
        );
      case 'update':
        return show(
          await flows.update(
            sandbox,
            CLI_ACTOR,
            flowId(),
            checked<FlowInput>(input(flags), FlowUpdateBody),
            version(flags),
          ),
        );
      case 'delete':
        await flows.delete(sandbox, CLI_ACTOR, flowId());
        return flags.json ? printJson({ deleted: id }) : console.log(`Deleted flow ${id}.`);
      case 'validate': {
        const given = checked<{ definition: unknown }>(input(flags), FlowValidateBody);
        const answer = await flows.validate(sandbox, given.definition);
        if (flags.json)
          printJson(
            answer.ok ? { ok: true, problems: [] } : { ok: false, problems: answer.problems },
          );
        else if (answer.ok) console.log('The definition is valid.');
        // Not valid: exit 1, every problem named (on stderr, as any refused body).
        if (!answer.ok)
          throw new AppError(
            'validation_failed',
            'The definition is not valid.',
            flags.json ? [] : answer.problems,
          );
        return;
      }
      case 'simulate': {
        const given = checked<Parameters<typeof flows.simulate>[2]>(input(flags), FlowSimulateBody);
        const result = await flows.simulate(sandbox, flowId(), given);
        return flags.json ? printJson(result) : printSimulation(result);
      }
      case 'runs': {
        const page = await flows.runs(sandbox, {
          ...(id ? { flowId: id } : {}),
          ...(flags.phone ? { phone: flags.phone } : {}),
          ...runStatusFlag(flags),
          ...(flags.cursor ? { cursor: flags.cursor } : {}),
          limit: limitFlag(flags),
        });
        if (flags.json) return printJson(page);
        printTable(
          page.items.map((r) => ({ ...r, where: where(r) })),
          ['id', 'flowName', 'phone', 'status', 'where', 'sends', 'startedAt', 'endedAt'],
        );
        if (page.nextCursor) console.log(`\nMore: --cursor ${page.nextCursor}`);
        return;
      }
      case 'run': {
        const run = await flows.run(sandbox, need(id, 'run'));
        return flags.json ? printJson(run) : printRun(run);
      }
      case 'cancel-run': {
        const run = await flows.cancelRun(sandbox, CLI_ACTOR, need(id, 'run'));
        return flags.json ? printJson(run) : printRun(run);
      }
      default:
        throw new UsageError(`unknown action "${verb ?? ''}": use ${VERBS}`);
    }
  });
}

function statusFlag(flags: ResourceFlags): FlowStatus | undefined {
  const status = flags.status;
  if (status === undefined) return undefined;
  if (!(FLOW_STATUSES as readonly string[]).includes(status))
    throw new UsageError(`--status must be one of: ${FLOW_STATUSES.join(', ')}`);
  return status as FlowStatus;
}

function runStatusFlag(flags: ResourceFlags): { status?: 'active' | 'ended' } {
  const status = flags.status;
  if (status === undefined) return {};
  if (status !== 'active' && status !== 'ended')
    throw new UsageError('--status must be one of: active, ended');
  return { status };
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
