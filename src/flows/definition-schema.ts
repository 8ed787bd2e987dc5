import { Type, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import {
  ATTRIBUTE_NAME_PATTERN,
  ClearAttributeAction,
  ListAction,
  SetAttributeAction,
  SetConsentAction,
  WebhookAction,
} from '../automation/action.js';
import { KEYWORD_MAX_LENGTH, normalizeKeyword, parseKeywordList } from '../credentials/keywords.js';
import type { ErrorDetail } from '../errors.js';
import { stepGraph } from './step-graph.js';
import {
  DEFAULT_FLOW_SETTINGS,
  FLOW_LIMITS,
  type FlowDefinition,
  type FlowStep,
} from './definition.js';

/**
 * The flow definition's TypeBox schema (for OpenAPI and types) and `checkDefinition`, which
 * checks a definition the way people need to hear about it: each step against the schema of
 * its own `type` (a union's errors would list every failed variant), then the step graph.
 */

export const STEP_ID_PATTERN = '^[A-Za-z0-9_-]{1,40}$';
/** An API event name (`POST /v1/flow-events`): a letter or digit first, then `_ . : -`. */
export const EVENT_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$';

const Id = Type.String({ minLength: 1, maxLength: 100 });
const StepId = Type.String({ pattern: STEP_ID_PATTERN, maxLength: FLOW_LIMITS.stepIdLength });
const Match = Type.String({ minLength: 1, maxLength: FLOW_LIMITS.matchLength });
const strict = { additionalProperties: false } as const;

const TRIGGERS = {
  keyword: Type.Object(
    {
      type: Type.Literal('keyword'),
      credentialId: Id,
      keyword: Type.String({ minLength: 1, maxLength: KEYWORD_MAX_LENGTH }),
    },
    strict,
  ),
  segment_entered: Type.Object({ type: Type.Literal('segment_entered'), segmentId: Id }, strict),
  api_event: Type.Object(
    {
      type: Type.Literal('api_event'),
      event: Type.String({ pattern: EVENT_NAME_PATTERN, maxLength: FLOW_LIMITS.eventNameLength }),
    },
    strict,
  ),
} as const;

const MATCHES = {
  keyword: Type.Object({ keyword: Match }, strict),
  contains: Type.Object({ contains: Match }, strict),
  any: Type.Object({ any: Type.Literal(true) }, strict),
} as const;

const BranchCaseSchema = Type.Object(
  { match: Type.Union(Object.values(MATCHES)), goto: StepId },
  strict,
);

const base = { id: StepId, next: Type.Optional(StepId) };
// An action step is the action's own fields plus the step's id and next.
const actionStep = (action: { properties: Record<string, TSchema> }) =>
  Type.Object({ ...base, ...action.properties }, strict);

const STEPS = {
  send: Type.Object({ ...base, type: Type.Literal('send'), templateId: Id }, strict),
  wait: Type.Object(
    {
      ...base,
      type: Type.Literal('wait'),
      seconds: Type.Integer({ minimum: 1, maximum: FLOW_LIMITS.waitSecondsMax }),
      untilReply: Type.Optional(Type.Boolean()),
    },
    strict,
  ),
  branch: Type.Object(
    {
      ...base,
      type: Type.Literal('branch'),
      cases: Type.Array(BranchCaseSchema, { maxItems: FLOW_LIMITS.branchCases }),
      otherwise: Type.Optional(StepId),
      noReply: Type.Optional(StepId),
    },
    strict,
  ),
  end: Type.Object({ id: StepId, type: Type.Literal('end') }, strict),
  set_attribute: actionStep(SetAttributeAction),
  clear_attribute: actionStep(ClearAttributeAction),
  set_consent: actionStep(SetConsentAction),
  // add_to_list and remove_from_list share one shape (its `type` is a union of the two).
  add_to_list: actionStep(ListAction),
  remove_from_list: actionStep(ListAction),
  webhook: actionStep(WebhookAction),
} as const;

export const STEP_TYPES = Object.keys(STEPS) as FlowStep['type'][];

// What checkDefinition checks a branch against: its cases' matches are checked one by one.
const STEP_CHECKS: Record<string, TSchema> = {
  ...STEPS,
  branch: Type.Object(
    {
      ...STEPS.branch.properties,
      cases: Type.Array(Type.Object({ match: Type.Unknown(), goto: StepId }, strict), {
        maxItems: FLOW_LIMITS.branchCases,
      }),
    },
    strict,
  ),
};

const SettingsSchema = Type.Object(
  {
    oneRunPerPerson: Type.Optional(Type.Boolean()),
    maxSendsPerRun: Type.Optional(
      Type.Integer({ minimum: 1, maximum: FLOW_LIMITS.maxSendsPerRun }),
    ),
    maxSendsPerDay: Type.Optional(
      Type.Integer({ minimum: 1, maximum: FLOW_LIMITS.maxSendsPerDay }),
    ),
  },
  strict,
);

const TOP = {
  trigger: Type.Union(Object.values(TRIGGERS)),
  channelConfigurationId: Type.Optional(Type.Union([Id, Type.Null()])),
  settings: Type.Optional(SettingsSchema),
  steps: Type.Array(Type.Union(Object.values(STEPS)), {
    minItems: 1,
    maxItems: FLOW_LIMITS.steps,
  }),
};

/**
 * A flow definition as the API accepts it (settings and channelConfigurationId may be left out:
 * defaults apply). Documentation and types; `checkDefinition` is the authority.
 */
export const FlowDefinitionSchema = Type.Object(TOP, {
  ...strict,
  $id: 'FlowDefinition',
  title: 'Flow definition',
});

/**
 * The values a definition may hold: the largest real one (50 steps, each a branch of 20
 * cases or a webhook of 20 data keys) holds about 5,000.
 */
export const MAX_VALUES = 10_000;
/** Problems listed at most; the rest are summed up in one line. */
export const MAX_PROBLEMS = 100;

export type CheckedDefinition =
  { ok: true; definition: FlowDefinition } | { ok: false; problems: ErrorDetail[] };

/**
 * A definition checked in full, every problem named with its JSON-pointer path (under
 * `basePath`) and the allowed values; when it is good, the definition with its defaults filled
 * and its keywords normalised. Never throws, whatever `input` is.
 */
export function checkDefinition(input: unknown, basePath = '/definition'): CheckedDefinition {
  const problems: ErrorDetail[] = [];
  // A list of 100,000 bad cases is not 200,000 problems: the first ones are enough to act on.
  let more = false;
  const add = (path: string, message: string): boolean => {
    if (problems.length >= MAX_PROBLEMS) {
      more = true;
      return false;
    }
    problems.push({ path: basePath + path, message });
    return true;
  };
  const answer = (): CheckedDefinition => {
    if (more) {
      problems.push({
        path: basePath,
        message: `has more problems than the ${MAX_PROBLEMS} listed; fix these and check again`,
      });
    }
    return { ok: false, problems };
  };
  if (!isObject(input)) {
    add(
      '',
      'must be an object with trigger, steps and optionally channelConfigurationId, settings',
    );
    return answer();
  }
  const steps = input.steps;
  if (Array.isArray(steps) && steps.length > FLOW_LIMITS.steps) {
    add('/steps', `must hold 1 to ${FLOW_LIMITS.steps} steps (it holds ${steps.length})`);
    return answer();
  }
  // Checked first, so that every check after it reads a bounded input (a 1 MB body of 100,000
  // keys took the schema checks 100-350 ms).
  if (valueCount(input, MAX_VALUES) > MAX_VALUES) {
    add(
      '',
      `is too large: a flow definition holds at most ${MAX_VALUES} values (50 steps of 20 cases or 20 data keys)`,
    );
    return answer();
  }
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(TOP, key)) add(`/${pointer(key)}`, 'is not a known property');
  }

  const before = problems.length;
  checkVariant(input.trigger, '/trigger', 'type', TRIGGERS, add);
  // A keyword is checked as the credential's keyword lists are (one word), in the form typed.
  if (problems.length === before && isObject(input.trigger) && input.trigger.type === 'keyword') {
    const parsed = parseKeywordList([input.trigger.keyword as string]);
    for (const p of parsed.problems) add('/trigger/keyword', p);
  }
  if (input.channelConfigurationId !== undefined) {
    schemaProblems(
      TOP.channelConfigurationId,
      input.channelConfigurationId,
      '/channelConfigurationId',
      add,
    );
  }
  if (input.settings !== undefined)
    schemaProblems(SettingsSchema, input.settings, '/settings', add);

  if (!Array.isArray(steps)) {
    add('/steps', 'is required: a list of 1 to 50 steps');
  } else if (steps.length === 0) {
    add('/steps', `must hold 1 to ${FLOW_LIMITS.steps} steps (it holds 0)`);
  } else {
    steps.forEach((step, i) => checkStep(step, `/steps/${i}`, add));
  }
  if (problems.length > 0) return answer();

  const definition = normalised(input as unknown as FlowDefinition);
  for (const problem of semanticProblems(definition)) add(problem.path ?? '', problem.message);
  return problems.length > 0 ? answer() : { ok: true, definition };
}

/** Records a problem; false once the list is full (the caller stops looking). */
type Add = (path: string, message: string) => boolean;

function checkStep(step: unknown, path: string, add: Add): void {
  checkVariant(step, path, 'type', STEP_CHECKS, add);
  if (!isObject(step) || step.type !== 'branch' || !Array.isArray(step.cases)) return;
  // A case's match is a small union of its own, told apart by its one key.
  step.cases.slice(0, FLOW_LIMITS.branchCases).forEach((c: unknown, k) => {
    if (!isObject(c) || c.match === undefined) return;
    const at = `${path}/cases/${k}/match`;
    const kind = isObject(c.match)
      ? Object.keys(c.match).find((key) => Object.hasOwn(MATCHES, key))
      : undefined;
    if (kind === undefined) {
      add(at, 'must be one of: {"keyword": "YES"}, {"contains": "text"}, {"any": true}');
    } else {
      schemaProblems(MATCHES[kind as keyof typeof MATCHES], c.match, at, add);
    }
  });
}

/** A tagged union checked against the variant its tag names, or the allowed tags named. */
function checkVariant(
  value: unknown,
  path: string,
  tag: string,
  variants: Record<string, TSchema>,
  add: Add,
): void {
  const allowed = Object.keys(variants).join(', ');
  if (!isObject(value)) {
    add(path, `must be an object with "${tag}": one of ${allowed}`);
    return;
  }
  const name = value[tag];
  const schema =
    typeof name === 'string' && Object.hasOwn(variants, name) ? variants[name] : undefined;
  if (schema === undefined) {
    add(`${path}/${tag}`, `must be one of: ${allowed}`);
    return;
  }
  schemaProblems(schema, value, path, add);
}

/** TypeBox's errors, one per path, in the API's wording. */
function schemaProblems(schema: TSchema, value: unknown, path: string, add: Add): void {
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, value)) {
    if (seen.has(error.path)) continue;
    seen.add(error.path);
    if (!add(path + error.path, wording(error))) return;
  }
}

// The patterns in words: a regex is no help to the person reading the error.
const PATTERN_WORDS: Record<string, string> = {
  [STEP_ID_PATTERN]: 'must be 1 to 40 letters, digits, _ or -',
  [EVENT_NAME_PATTERN]:
    'must be 1 to 64 letters, digits, _ . : or -, starting with a letter or digit',
  [ATTRIBUTE_NAME_PATTERN]: 'must be a letter, then up to 63 letters, digits or _',
};

function wording(error: ValueError): string {
  const schema = error.schema as {
    anyOf?: TSchema[];
    pattern?: string;
  };
  if (error.type === ValueErrorType.ObjectAdditionalProperties) return 'is not a known property';
  if (error.type === ValueErrorType.ObjectRequiredProperty) return 'is required';
  if (error.type === ValueErrorType.StringPattern && schema.pattern !== undefined) {
    return PATTERN_WORDS[schema.pattern] ?? error.message;
  }
  const { minimum, maximum } = error.schema as { minimum?: number; maximum?: number };
  if (minimum !== undefined && maximum !== undefined && typeof error.value === 'number') {
    return `must be ${describe(error.schema)} from ${minimum} to ${maximum}`;
  }
  if (schema.anyOf !== undefined) return `must be ${schema.anyOf.map(describe).join(' or ')}`;
  return error.message;
}

/** A schema in a few words, for "must be a string or null". */
function describe(schema: TSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  switch (schema.type) {
    case 'string':
      return schema.maxLength !== undefined
        ? `a string of at most ${String(schema.maxLength)} characters`
        : 'a string';
    case 'integer':
      return 'a whole number';
    case 'object':
      return 'an object';
    case 'array':
      return 'a list';
    case 'null':
      return 'null';
    default:
      return `a ${String(schema.type)}`;
  }
}

/** Defaults filled, keywords in their stored form; a copy, so the caller's input stays as sent. */
function normalised(input: FlowDefinition): FlowDefinition {
  const copy = structuredClone(input);
  if (copy.trigger.type === 'keyword')
    copy.trigger.keyword = normalizeKeyword(copy.trigger.keyword);
  for (const step of copy.steps) {
    if (step.type !== 'branch') continue;
    for (const c of step.cases) {
      if ('keyword' in c.match) c.match.keyword = normalizeKeyword(c.match.keyword);
    }
  }
  return {
    trigger: copy.trigger,
    channelConfigurationId: copy.channelConfigurationId ?? null,
    settings: { ...DEFAULT_FLOW_SETTINGS, ...(copy.settings ?? {}) },
    steps: copy.steps,
  };
}

/** The checks beyond shapes: keywords, ids, targets, the channel, and the step graph. */
function semanticProblems(definition: FlowDefinition): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const { steps } = definition;

  steps.forEach((step, i) => {
    if (step.type !== 'branch') return;
    step.cases.forEach((c, k) => {
      if (!('keyword' in c.match)) return;
      if (normalizeKeyword(c.match.keyword) === '') {
        add(`/steps/${i}/cases/${k}/match/keyword`, 'must not be blank');
      }
    });
  });

  const firstIndex = new Map<string, number>();
  steps.forEach((step, i) => {
    const first = firstIndex.get(step.id);
    if (first === undefined) firstIndex.set(step.id, i);
    else
      add(`/steps/${i}/id`, `"${step.id}" is already the id of step ${first}: ids must be unique`);
  });

  const sender = steps.findIndex((s) => s.type === 'send');
  if (sender >= 0 && definition.channelConfigurationId === null) {
    add('/channelConfigurationId', `is required: step "${steps[sender]!.id}" sends a text`);
  }

  const graph = stepGraph(steps);
  const known = [...firstIndex.keys()].join(', ');
  for (const target of graph.danglingTargets) {
    add(target.path, `names no step ("${target.id}"); the steps are: ${known}`);
  }
  // The graph's findings only make sense once every target names a step.
  if (graph.danglingTargets.length > 0 || firstIndex.size !== steps.length) return problems;

  for (const i of graph.unreachable) {
    add(
      `/steps/${i}`,
      `step "${steps[i]!.id}" is unreachable: no step leads to it (runs start at the first step)`,
    );
  }
  for (const cycle of graph.cyclesWithoutWait) {
    add(
      `/steps/${cycle[0]!}`,
      `loops without waiting: ${cycle.map((i) => steps[i]!.id).join(' → ')} → ${steps[cycle[0]!]!.id}; put a wait step in the loop`,
    );
  }
  // Guess: a branch with no reply to read is a mistake, not a design (it always takes noReply).
  for (const i of graph.branchesWithoutReply) {
    add(
      `/steps/${i}`,
      `branch "${steps[i]!.id}" reads the last reply, but a path from the first step reaches it without a wait with untilReply: true`,
    );
  }
  return problems;
}

/**
 * How many values (objects, lists, scalars) `root` holds, counting stops past `limit`: the
 * walk costs at most `limit` steps plus the keys of one object.
 */
function valueCount(root: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0 && count <= limit) {
    const value = stack.pop();
    count++;
    if (typeof value !== 'object' || value === null) continue;
    for (const child of Object.values(value)) {
      if (stack.length + count > limit) return limit + 1;
      stack.push(child);
    }
  }
  return count;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A property name as a JSON-pointer segment (RFC 6901). */
function pointer(key: string): string {
  return key.slice(0, 100).replace(/~/g, '~0').replace(/\//g, '~1');
}
