import type { FlowAction } from '../automation/action.js';
import { keywordMatchKey } from '../credentials/keywords.js';
import { matchForm } from '../inbound/classify.js';
import type {
  Advance,
  AdvanceOptions,
  BranchMatch,
  BranchStep,
  Effect,
  EndReason,
  FlowDefinition,
  FlowStep,
  ReplyInfo,
  RunInput,
  RunState,
  TimelineNote,
  WaitStep,
} from './definition.js';
import { FLOW_LIMITS } from './definition.js';
import { followingId } from './step-graph.js';

/**
 * The pure flow interpreter: a run's state and one input (start, timer, reply) in, the new
 * state and what to do (effects, timeline) out. No clock, no I/O, no throw: the runner and the
 * simulator drive it, so both behave alike. Each effect comes with exactly one timeline note of
 * kind `sent` or `action`, in the same order: the engine pairs them to record what happened.
 */

/** A new run, before its first step. */
export function initialState(definition: FlowDefinition): RunState {
  return { position: definition.steps[0]?.id ?? null, waiting: null, lastReply: null, sends: 0 };
}

// The latest instant a Date holds: a wait near it is cut there rather than made invalid.
const MAX_TIME = 8.64e15;
// A quoted reply in the timeline is cut: a note is a sentence, not the whole text.
const QUOTE_MAX = 60;

/**
 * Runs the input through the run: a due timer or a reply ends the wait, then steps run until a
 * wait or the end, at most FLOW_LIMITS.stepsPerAdvance of them. A reply to a run not waiting
 * for one, a timer before its deadline, or a start of a run already waiting, changes nothing.
 */
export function advance(
  definition: FlowDefinition,
  state: RunState,
  input: RunInput,
  now: Date,
  options: AdvanceOptions = {},
): Advance {
  const time = now.getTime();
  // An ended run, or a clock with no time, leaves the state as it is.
  if (state.position === null || !Number.isFinite(time)) return unchanged(state);
  const at = now.toISOString();
  const steps = definition.steps;
  const run = new Run(definition, { ...state }, at, time, scaleOf(options));

  const { waiting } = state;
  if (waiting !== null) {
    if (input.kind === 'reply') {
      if (!waiting.untilReply) return unchanged(state);
      run.state.lastReply = input.reply;
      run.note(waiting.stepId, 'replied', `the person replied "${quote(input.reply.text)}"`);
    } else if (input.kind === 'timer') {
      const due = Date.parse(waiting.dueAt);
      // An unreadable deadline counts as passed: a run must not wait forever on it.
      if (Number.isFinite(due) && time < due) return unchanged(state);
      if (waiting.untilReply) run.state.lastReply = null;
      run.note(
        waiting.stepId,
        'timed_out',
        waiting.untilReply ? 'no reply came before the deadline' : 'the wait is over',
      );
    } else {
      return unchanged(state);
    }
    run.state.waiting = null;
    const index = steps.findIndex((s) => s.id === waiting.stepId);
    if (index < 0)
      return run.end(
        'failed',
        waiting.stepId,
        `step "${waiting.stepId}" is not in this flow version`,
      );
    const next = followingId(steps, index);
    if (next === null) return run.end('completed', waiting.stepId, 'the last step is done');
    run.state.position = next;
  } else if (input.kind === 'reply') {
    return unchanged(state);
  }
  return run.steps();
}

/** One advance in progress: the state being changed, and what it has produced so far. */
class Run {
  readonly effects: Effect[] = [];
  readonly timeline: TimelineNote[] = [];

  constructor(
    readonly definition: FlowDefinition,
    readonly state: RunState,
    readonly at: string,
    readonly time: number,
    readonly timeScale: number,
  ) {}

  note(stepId: string | null, kind: string, detail: string): void {
    this.timeline.push({ at: this.at, stepId, kind, detail });
  }

  end(reason: EndReason, stepId: string | null, why: string): Advance {
    this.state.position = null;
    this.state.waiting = null;
    this.note(stepId, 'ended', `the run ends (${reason}): ${why}`);
    return this.answer('ended', reason, null);
  }

  answer(status: Advance['status'], endReason: EndReason | null, dueAt: string | null): Advance {
    return {
      state: this.state,
      effects: this.effects,
      timeline: this.timeline,
      status,
      endReason,
      dueAt,
    };
  }

  /** Steps from the position until a wait, the end, or the step limit. */
  steps(): Advance {
    const { steps, settings } = this.definition;
    for (let taken = 0; taken < FLOW_LIMITS.stepsPerAdvance; taken++) {
      const position = this.state.position;
      const index = steps.findIndex((s) => s.id === position);
      const step = steps[index];
      if (position === null || step === undefined) {
        return this.end(
          'failed',
          position,
          `step "${String(position)}" is not in this flow version`,
        );
      }
      let next: string | null = followingId(steps, index);
      switch (step.type) {
        case 'end':
          return this.end('end_step', step.id, 'it reached an end step');
        case 'wait':
          return this.wait(step);
        case 'send':
          if (this.state.sends >= settings.maxSendsPerRun) {
            return this.end(
              'loop_guard',
              step.id,
              `a run may send ${settings.maxSendsPerRun} texts and this would be one more`,
            );
          }
          this.state.sends += 1;
          this.effects.push({ kind: 'send', stepId: step.id, templateId: step.templateId });
          this.note(step.id, 'sent', `sends template ${step.templateId}`);
          break;
        case 'branch':
          next = this.branch(step, next);
          break;
        default:
          this.effects.push({ kind: 'action', stepId: step.id, action: actionOf(step) });
          this.note(step.id, 'action', describeAction(step));
      }
      if (next === null) return this.end('completed', step.id, 'the last step is done');
      this.state.position = next;
    }
    return this.end(
      'step_limit',
      this.state.position,
      `it ran ${FLOW_LIMITS.stepsPerAdvance} steps without waiting`,
    );
  }

  private wait(step: WaitStep): Advance {
    const until = Math.min(MAX_TIME, this.time + Math.ceil((step.seconds * 1000) / this.timeScale));
    const dueAt = new Date(until).toISOString();
    const untilReply = step.untilReply === true;
    this.state.position = step.id;
    this.state.waiting = { stepId: step.id, untilReply, dueAt };
    const span = duration(step.seconds);
    this.note(step.id, 'waiting', untilReply ? `waits up to ${span} for a reply` : `waits ${span}`);
    return this.answer('waiting', null, dueAt);
  }

  /** The branch's target for the last reply (`fallback`: its next step). */
  private branch(step: BranchStep, fallback: string | null): string | null {
    const reply = this.state.lastReply;
    const name = (id: string | null) => (id === null ? 'the end' : `"${id}"`);
    if (reply === null) {
      const target = step.noReply ?? fallback;
      this.note(step.id, 'branched', `no reply to read: goes to ${name(target)}`);
      return target;
    }
    const k = step.cases.findIndex((c) => matches(c.match, reply));
    const matched = step.cases[k];
    if (matched !== undefined) {
      this.note(
        step.id,
        'branched',
        `the reply "${quote(reply.text)}" matches case ${k + 1} (${describeMatch(matched.match)}): goes to ${name(matched.goto)}`,
      );
      return matched.goto;
    }
    const target = step.otherwise ?? fallback;
    this.note(
      step.id,
      'branched',
      `the reply "${quote(reply.text)}" matches no case: goes to ${name(target)}`,
    );
    return target;
  }
}

/** Keywords compare as inbound keywords do (case, diacritics, surrounding punctuation folded). */
export function matches(match: BranchMatch, reply: ReplyInfo): boolean {
  if ('any' in match) return true;
  if ('keyword' in match) return matchForm(reply.text) === matchForm(match.keyword);
  return fold(reply.text).includes(fold(match.contains));
}

/** Case, width and diacritics folded, as keywords compare; spaces and punctuation kept. */
function fold(text: string): string {
  return keywordMatchKey(text.normalize('NFKC'));
}

function unchanged(state: RunState): Advance {
  const ended = state.position === null;
  return {
    state,
    effects: [],
    timeline: [],
    status: ended ? 'ended' : 'waiting',
    endReason: null,
    dueAt: ended ? null : (state.waiting?.dueAt ?? null),
  };
}

function scaleOf(options: AdvanceOptions): number {
  const scale = options.timeScale ?? 1;
  return Number.isFinite(scale) && scale >= 1 ? scale : 1;
}

type ActionStep = Exclude<FlowStep, { type: 'send' | 'wait' | 'branch' | 'end' }>;

/** The action of an action step: its own fields without the step's id and next. */
function actionOf(step: ActionStep): FlowAction {
  const { id: _id, next: _next, ...action } = step;
  return action;
}

function describeAction(step: ActionStep): string {
  switch (step.type) {
    case 'set_attribute':
      return `sets attribute ${step.name} to ${JSON.stringify(step.value)}`;
    case 'clear_attribute':
      return `clears attribute ${step.name}`;
    case 'set_consent':
      return `sets consent to ${step.to}`;
    case 'add_to_list':
      return `adds the person to list ${step.listId}`;
    case 'remove_from_list':
      return `removes the person from list ${step.listId}`;
    case 'webhook':
      return `calls webhook "${step.name}"`;
  }
}

function describeMatch(match: BranchMatch): string {
  if ('any' in match) return 'any reply';
  if ('keyword' in match) return `keyword ${match.keyword}`;
  return `contains "${match.contains}"`;
}

function quote(text: string): string {
  const flat = text
    .slice(0, QUOTE_MAX * 4)
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > QUOTE_MAX ? `${flat.slice(0, QUOTE_MAX)}…` : flat;
}

/** "1 day", "2 hours", "90 seconds": the largest unit that divides the wait evenly. */
export function duration(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}
