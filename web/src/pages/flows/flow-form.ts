/**
 * The step-list editor's form: a flow as rows of plain strings (what inputs hold), and the
 * mapping to and from the stored definition. Bad values are sent as typed, so the API names
 * them (its paths follow the step's index in the list).
 */
import {
  DEFAULT_FLOW_SETTINGS,
  type FlowDefinition,
  type FlowStep,
} from '../../../../src/flows/definition.js';
import type { FlowStatus } from './flow-types';
import { splitDuration, UNIT_SECONDS, type DurationUnit } from './script';

export type StepType =
  | 'send'
  | 'wait'
  | 'branch'
  | 'set_attribute'
  | 'clear_attribute'
  | 'set_consent'
  | 'add_to_list'
  | 'remove_from_list'
  | 'webhook'
  | 'end';

export const STEP_TYPES: { type: StepType; label: string }[] = [
  { type: 'send', label: 'Send a template' },
  { type: 'wait', label: 'Wait' },
  { type: 'branch', label: 'Branch on the reply' },
  { type: 'set_attribute', label: 'Set an attribute' },
  { type: 'clear_attribute', label: 'Clear an attribute' },
  { type: 'set_consent', label: 'Set consent' },
  { type: 'add_to_list', label: 'Add to a list' },
  { type: 'remove_from_list', label: 'Remove from a list' },
  { type: 'webhook', label: 'Call a webhook' },
  { type: 'end', label: 'End' },
];

export const stepLabel = (type: string) => STEP_TYPES.find((t) => t.type === type)?.label ?? type;

export type TriggerType = 'keyword' | 'segment_entered' | 'api_event';
export type MatchKind = 'keyword' | 'contains' | 'any';
export type ValueKind = 'string' | 'number' | 'boolean';

export interface CaseForm {
  key: string;
  kind: MatchKind;
  value: string;
  goto: string;
}

export interface StepForm {
  /** React's key: stays while the id is edited. */
  key: string;
  id: string;
  type: StepType;
  next: string;
  templateId: string;
  amount: string;
  unit: DurationUnit;
  untilReply: boolean;
  cases: CaseForm[];
  otherwise: string;
  noReply: string;
  /** The attribute's name, or the webhook's. */
  name: string;
  value: string;
  valueKind: ValueKind;
  to: 'subscribed' | 'unsubscribed';
  listId: string;
  /** A webhook's data as JSON text ({} or empty: none). */
  data: string;
}

export interface FlowForm {
  name: string;
  status: FlowStatus;
  triggerType: TriggerType;
  credentialId: string;
  keyword: string;
  segmentId: string;
  event: string;
  channelConfigurationId: string;
  oneRunPerPerson: boolean;
  maxSendsPerRun: string;
  maxSendsPerDay: string;
  steps: StepForm[];
}

let keys = 0;
export const newKey = () => `k${++keys}`;

export function blankStep(type: StepType, id: string): StepForm {
  return {
    key: newKey(),
    id,
    type,
    next: '',
    templateId: '',
    amount: '1',
    unit: 'd',
    untilReply: false,
    cases: type === 'branch' ? [{ key: newKey(), kind: 'keyword', value: '', goto: '' }] : [],
    otherwise: '',
    noReply: '',
    name: '',
    value: '',
    valueKind: 'string',
    to: 'subscribed',
    listId: '',
    data: '',
  };
}

/** A fresh id for a new step: `wait`, then `wait-2`, … (unique in the list). */
export function freshId(type: StepType, steps: StepForm[]): string {
  const base = type.replace(/_/g, '-');
  const taken = new Set(steps.map((s) => s.id));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export const EMPTY_FLOW: FlowForm = {
  name: '',
  status: 'draft',
  triggerType: 'keyword',
  credentialId: '',
  keyword: '',
  segmentId: '',
  event: '',
  channelConfigurationId: '',
  oneRunPerPerson: DEFAULT_FLOW_SETTINGS.oneRunPerPerson,
  maxSendsPerRun: String(DEFAULT_FLOW_SETTINGS.maxSendsPerRun),
  maxSendsPerDay: String(DEFAULT_FLOW_SETTINGS.maxSendsPerDay),
  steps: [],
};

/** A number typed into a field, or the text as typed when it is none (the API names it). */
const numberOr = (text: string): number | string => {
  const t = text.trim();
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
};

function valueOf(step: StepForm): string | number | boolean {
  if (step.valueKind === 'number') return numberOr(step.value);
  if (step.valueKind === 'boolean') return step.value === 'true';
  return step.value;
}

function dataOf(text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    // Sent as typed: the API says the data must be an object, under this field.
    return t;
  }
}

const opt = <K extends string>(key: K, value: string): Partial<Record<K, string>> =>
  value === '' ? {} : ({ [key]: value } as Record<K, string>);

function stepOf(s: StepForm): Record<string, unknown> {
  const base = { id: s.id.trim(), ...opt('next', s.next) };
  switch (s.type) {
    case 'send':
      return { ...base, type: 'send', templateId: s.templateId };
    case 'wait': {
      const amount = numberOr(s.amount);
      return {
        ...base,
        type: 'wait',
        seconds: typeof amount === 'number' ? Math.round(amount * UNIT_SECONDS[s.unit]) : amount,
        ...(s.untilReply ? { untilReply: true } : {}),
      };
    }
    case 'branch':
      return {
        ...base,
        type: 'branch',
        cases: s.cases.map((c) => ({
          match:
            c.kind === 'any'
              ? { any: true }
              : c.kind === 'keyword'
                ? { keyword: c.value }
                : { contains: c.value },
          goto: c.goto,
        })),
        ...opt('otherwise', s.otherwise),
        ...opt('noReply', s.noReply),
      };
    case 'end':
      return { id: base.id, type: 'end' };
    case 'set_attribute':
      return { ...base, type: s.type, name: s.name.trim(), value: valueOf(s) };
    case 'clear_attribute':
      return { ...base, type: s.type, name: s.name.trim() };
    case 'set_consent':
      return { ...base, type: s.type, to: s.to };
    case 'add_to_list':
    case 'remove_from_list':
      return { ...base, type: s.type, listId: s.listId };
    case 'webhook': {
      const data = dataOf(s.data);
      return {
        ...base,
        type: s.type,
        name: s.name.trim(),
        ...(data === undefined ? {} : { data }),
      };
    }
  }
}

/** The definition as the API takes it (unchecked: the API checks it). */
export function definitionOf(f: FlowForm): Record<string, unknown> {
  const trigger =
    f.triggerType === 'keyword'
      ? { type: 'keyword', credentialId: f.credentialId, keyword: f.keyword.trim() }
      : f.triggerType === 'segment_entered'
        ? { type: 'segment_entered', segmentId: f.segmentId }
        : { type: 'api_event', event: f.event.trim() };
  return {
    trigger,
    channelConfigurationId: f.channelConfigurationId === '' ? null : f.channelConfigurationId,
    settings: {
      oneRunPerPerson: f.oneRunPerPerson,
      maxSendsPerRun: numberOr(f.maxSendsPerRun),
      maxSendsPerDay: numberOr(f.maxSendsPerDay),
    },
    steps: f.steps.map(stepOf),
  };
}

function stepForm(step: FlowStep): StepForm {
  const s = blankStep(step.type, step.id);
  if ('next' in step && step.next !== undefined) s.next = step.next;
  switch (step.type) {
    case 'send':
      s.templateId = step.templateId;
      break;
    case 'wait': {
      const { amount, unit } = splitDuration(step.seconds);
      s.amount = String(amount);
      s.unit = unit;
      s.untilReply = step.untilReply === true;
      break;
    }
    case 'branch':
      s.cases = step.cases.map((c) => ({
        key: newKey(),
        kind: 'keyword' in c.match ? 'keyword' : 'contains' in c.match ? 'contains' : 'any',
        value:
          'keyword' in c.match ? c.match.keyword : 'contains' in c.match ? c.match.contains : '',
        goto: c.goto,
      }));
      s.otherwise = step.otherwise ?? '';
      s.noReply = step.noReply ?? '';
      break;
    case 'set_attribute':
      s.name = step.name;
      s.value = String(step.value);
      s.valueKind =
        typeof step.value === 'number'
          ? 'number'
          : typeof step.value === 'boolean'
            ? 'boolean'
            : 'string';
      break;
    case 'clear_attribute':
      s.name = step.name;
      break;
    case 'set_consent':
      s.to = step.to;
      break;
    case 'add_to_list':
    case 'remove_from_list':
      s.listId = step.listId;
      break;
    case 'webhook':
      s.name = step.name;
      s.data = step.data && Object.keys(step.data).length > 0 ? JSON.stringify(step.data) : '';
      break;
    case 'end':
      break;
  }
  return s;
}

export function formOf(flow: {
  name: string;
  status: FlowStatus;
  definition: FlowDefinition;
}): FlowForm {
  const d = flow.definition;
  const t = d.trigger;
  return {
    name: flow.name,
    status: flow.status,
    triggerType: t.type,
    credentialId: t.type === 'keyword' ? t.credentialId : '',
    keyword: t.type === 'keyword' ? t.keyword : '',
    segmentId: t.type === 'segment_entered' ? t.segmentId : '',
    event: t.type === 'api_event' ? t.event : '',
    channelConfigurationId: d.channelConfigurationId ?? '',
    oneRunPerPerson: d.settings.oneRunPerPerson,
    maxSendsPerRun: String(d.settings.maxSendsPerRun),
    maxSendsPerDay: String(d.settings.maxSendsPerDay),
    steps: d.steps.map(stepForm),
  };
}

/** Renames a step and every jump that named it. */
export function renameStep(steps: StepForm[], index: number, id: string): StepForm[] {
  const old = steps[index]?.id;
  const follow = (target: string) =>
    old !== undefined && old !== '' && target === old ? id : target;
  return steps.map((s, i) => ({
    ...s,
    id: i === index ? id : s.id,
    next: follow(s.next),
    otherwise: follow(s.otherwise),
    noReply: follow(s.noReply),
    cases: s.cases.map((c) => ({ ...c, goto: follow(c.goto) })),
  }));
}

/** Moves step `index` by `by` places (−1 up, +1 down). */
export function moveStep(steps: StepForm[], index: number, by: number): StepForm[] {
  const to = index + by;
  if (to < 0 || to >= steps.length) return steps;
  const out = [...steps];
  const [step] = out.splice(index, 1);
  if (step) out.splice(to, 0, step);
  return out;
}

/** The fields a step of this type shows, as the slots its API problems land on. */
export function stepFields(type: StepType): string[] {
  switch (type) {
    case 'send':
      return ['id', 'templateId', 'next'];
    case 'wait':
      return ['id', 'seconds', 'untilReply', 'next'];
    case 'branch':
      return ['id', 'cases', 'otherwise', 'noReply', 'next'];
    case 'set_attribute':
      return ['id', 'name', 'value', 'next'];
    case 'clear_attribute':
      return ['id', 'name', 'next'];
    case 'set_consent':
      return ['id', 'to', 'next'];
    case 'add_to_list':
    case 'remove_from_list':
      return ['id', 'listId', 'next'];
    case 'webhook':
      return ['id', 'name', 'data', 'next'];
    case 'end':
      return ['id'];
  }
}

export const TOP_SLOTS = [
  '/name',
  '/status',
  '/definition/trigger',
  '/definition/trigger/type',
  '/definition/trigger/credentialId',
  '/definition/trigger/keyword',
  '/definition/trigger/segmentId',
  '/definition/trigger/event',
  '/definition/channelConfigurationId',
  '/definition/settings',
  '/definition/settings/oneRunPerPerson',
  '/definition/settings/maxSendsPerRun',
  '/definition/settings/maxSendsPerDay',
  '/definition/steps',
] as const;

/** Every slot a form's problems may land on: the flow's fields, each step and its fields. */
export function slotsOf(f: FlowForm): string[] {
  const out: string[] = [...TOP_SLOTS];
  f.steps.forEach((s, i) => {
    const at = `/definition/steps/${i}`;
    out.push(at, ...stepFields(s.type).map((field) => `${at}/${field}`));
    s.cases.forEach((_, j) => out.push(`${at}/cases/${j}`));
  });
  return out;
}
