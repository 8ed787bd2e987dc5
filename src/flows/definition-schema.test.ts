import fc from 'fast-check';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import {
  checkDefinition,
  FlowDefinitionSchema,
  MAX_PROBLEMS,
  STEP_TYPES,
} from './definition-schema.js';
import { checkedFlow } from '../../test/helpers/flow-arbitraries.js';
import { DEFAULT_FLOW_SETTINGS, FLOW_LIMITS } from './definition.js';

/** The flow: JOIN, a question, a day's wait for the answer, a branch on it. */
const joinFlow = () => ({
  trigger: { type: 'keyword', credentialId: 'cred-1', keyword: ' join ' },
  channelConfigurationId: 'chan-1',
  steps: [
    { id: 'ask', type: 'send', templateId: 'tpl-ask' },
    { id: 'wait', type: 'wait', seconds: 86_400, untilReply: true },
    {
      id: 'answer',
      type: 'branch',
      cases: [{ match: { keyword: 'yes' }, goto: 'thanks' }],
      noReply: 'nudge',
      otherwise: 'done',
    },
    { id: 'thanks', type: 'add_to_list', listId: 'list-1', next: 'done' },
    { id: 'nudge', type: 'send', templateId: 'tpl-nudge' },
    { id: 'done', type: 'end' },
  ],
});

function problemsOf(input: unknown, basePath?: string) {
  const result = checkDefinition(input, basePath);
  if (result.ok) throw new Error('expected problems, the definition was accepted');
  return result.problems;
}

describe('checkDefinition: shapes', () => {
  it('accepts the issue flow, fills the settings and normalises the keywords', () => {
    const input = joinFlow();
    const result = checkDefinition(input);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.definition.trigger).toEqual({
      type: 'keyword',
      credentialId: 'cred-1',
      keyword: 'JOIN',
    });
    expect(result.definition.settings).toEqual(DEFAULT_FLOW_SETTINGS);
    const branch = result.definition.steps[2];
    expect(branch?.type === 'branch' && branch.cases[0]?.match).toEqual({ keyword: 'YES' });
    // The caller's input is left as sent.
    expect(input.trigger.keyword).toBe(' join ');
    // What the check accepts, the published schema accepts too.
    expect(Value.Check(FlowDefinitionSchema, result.definition)).toBe(true);
  });

  it('takes settings given in part, and channelConfigurationId left out when nothing sends', () => {
    const result = checkDefinition({
      trigger: { type: 'api_event', event: 'order.paid' },
      settings: { maxSendsPerRun: 2 },
      steps: [{ id: 'tag', type: 'set_attribute', name: 'paid', value: true }],
    });
    expect(result).toMatchObject({
      ok: true,
      definition: {
        channelConfigurationId: null,
        settings: { oneRunPerPerson: true, maxSendsPerRun: 2, maxSendsPerDay: 3 },
      },
    });
  });

  it('names a non-object, and the base path it was given', () => {
    expect(problemsOf('flow')).toEqual([
      {
        path: '/definition',
        message:
          'must be an object with trigger, steps and optionally channelConfigurationId, settings',
      },
    ]);
    expect(problemsOf(null, '/body/definition')[0]?.path).toBe('/body/definition');
  });

  it('names every bad field at once, with its allowed values', () => {
    const problems = problemsOf({
      trigger: { type: 'sms' },
      colour: 'blue',
      settings: { maxSendsPerRun: 0, sometimes: true },
      steps: [
        { id: 'a b', type: 'wait', seconds: 0 },
        { id: 'x', type: 'teleport' },
        { id: 'c', type: 'set_consent', to: 'maybe' },
        { id: 'd', type: 'set_attribute', name: '1st', value: { nested: true } },
        { id: 'e', type: 'branch', cases: [{ match: { regex: '.*' }, goto: 'a' }] },
        { id: 'f', type: 'branch', cases: [{ match: { keyword: 7 }, goto: 'a' }] },
        { id: 'g', type: 'send' },
      ],
    });
    expect(problems).toEqual([
      { path: '/definition/colour', message: 'is not a known property' },
      {
        path: '/definition/trigger/type',
        message: 'must be one of: keyword, segment_entered, api_event',
      },
      { path: '/definition/settings/sometimes', message: 'is not a known property' },
      {
        path: '/definition/settings/maxSendsPerRun',
        message: 'must be a whole number from 1 to 100',
      },
      { path: '/definition/steps/0/id', message: 'must be 1 to 40 letters, digits, _ or -' },
      { path: '/definition/steps/0/seconds', message: 'must be a whole number from 1 to 7776000' },
      { path: '/definition/steps/1/type', message: `must be one of: ${STEP_TYPES.join(', ')}` },
      { path: '/definition/steps/2/to', message: 'must be "subscribed" or "unsubscribed"' },
      {
        path: '/definition/steps/3/name',
        message: 'must be a letter, then up to 63 letters, digits or _',
      },
      {
        path: '/definition/steps/3/value',
        message: 'must be a string of at most 500 characters or a number or a boolean',
      },
      {
        path: '/definition/steps/4/cases/0/match',
        message: 'must be one of: {"keyword": "YES"}, {"contains": "text"}, {"any": true}',
      },
      { path: '/definition/steps/5/cases/0/match/keyword', message: 'Expected string' },
      { path: '/definition/steps/6/templateId', message: 'is required' },
    ]);
  });

  it('names a step list that is empty or too long in one problem', () => {
    const step = (i: number) => ({ id: `s${i}`, type: 'clear_attribute', name: 'x' });
    const base = { trigger: { type: 'segment_entered', segmentId: 'seg-1' } };
    expect(problemsOf({ ...base, steps: [] })).toEqual([
      { path: '/definition/steps', message: 'must hold 1 to 50 steps (it holds 0)' },
    ]);
    const long = Array.from({ length: 100_000 }, (_, i) => step(i));
    expect(problemsOf({ ...base, steps: long })).toEqual([
      { path: '/definition/steps', message: 'must hold 1 to 50 steps (it holds 100000)' },
    ]);
    expect(problemsOf({ ...base })).toEqual([
      { path: '/definition/steps', message: 'is required: a list of 1 to 50 steps' },
    ]);
  });

  it('answers a huge definition in one problem, and a long list of bad fields in 101', () => {
    const data = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, {}]));
    const huge = {
      trigger: { type: 'api_event', event: 'e' },
      steps: [{ id: 'w', type: 'webhook', name: 'n', data }],
    };
    expect(problemsOf(huge)).toEqual([
      {
        path: '/definition',
        message:
          'is too large: a flow definition holds at most 10000 values (50 steps of 20 cases or 20 data keys)',
      },
    ]);
    const bad = Array.from({ length: 50 }, (_, i) => ({
      id: `s ${i}`,
      type: 'wait',
      seconds: 0,
      x: 1,
    }));
    const problems = problemsOf({ trigger: { type: 'api_event', event: 'e' }, steps: bad });
    expect(problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(problems.at(-1)).toEqual({
      path: '/definition',
      message: 'has more problems than the 100 listed; fix these and check again',
    });
  });

  it('bounds every string before any pattern reads it', () => {
    const problems = problemsOf({
      trigger: { type: 'api_event', event: 'e'.repeat(10_000) },
      steps: [{ id: 'w', type: 'webhook', name: 'n'.repeat(65), data: { k: 'v'.repeat(501) } }],
    });
    expect(problems.map((p) => p.path)).toEqual([
      '/definition/trigger/event',
      '/definition/steps/0/name',
      '/definition/steps/0/data/k',
    ]);
  });

  it('takes no property for known because an object has it by inheritance', () => {
    const input = JSON.parse(
      '{"trigger":{"type":"toString"},"constructor":1,"steps":[{"id":"w","type":"wait","seconds":1,"untilReply":true},{"id":"b","type":"branch","cases":[{"match":{"constructor":1},"goto":"w"}]}]}',
    ) as unknown;
    expect(problemsOf(input).map((p) => p.path)).toEqual([
      '/definition/constructor',
      '/definition/trigger/type',
      '/definition/steps/1/cases/0/match',
    ]);
  });

  it('is idempotent on what it accepts, which the published schema accepts too', () => {
    fc.assert(
      fc.property(checkedFlow, (definition) => {
        expect(Value.Check(FlowDefinitionSchema, definition)).toBe(true);
        expect(checkDefinition(definition)).toEqual({ ok: true, definition });
      }),
      { numRuns: 300 },
    );
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (value) => {
        const result = checkDefinition(value);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});

describe('checkDefinition: the step graph', () => {
  const flow = (steps: unknown[], extra: Record<string, unknown> = {}) => ({
    trigger: { type: 'api_event', event: 'go' },
    channelConfigurationId: 'chan-1',
    ...extra,
    steps,
  });

  it('refuses a keyword trigger that is not one word', () => {
    const input = joinFlow();
    input.trigger.keyword = 'two words';
    expect(problemsOf(input)).toEqual([
      {
        path: '/definition/trigger/keyword',
        message: '"two words" is not a single word of letters and digits',
      },
    ]);
  });

  it('refuses duplicate ids, naming the first', () => {
    expect(
      problemsOf(
        flow([
          { id: 'a', type: 'clear_attribute', name: 'x' },
          { id: 'a', type: 'end' },
        ]),
      ),
    ).toEqual([
      {
        path: '/definition/steps/1/id',
        message: '"a" is already the id of step 0: ids must be unique',
      },
    ]);
  });

  it('names every target that names no step, and lists the steps', () => {
    const problems = problemsOf(
      flow([
        { id: 'a', type: 'clear_attribute', name: 'x', next: 'nowhere' },
        { id: 'w', type: 'wait', seconds: 5, untilReply: true },
        {
          id: 'b',
          type: 'branch',
          cases: [{ match: { any: true }, goto: 'gone' }],
          otherwise: 'lost',
          noReply: 'missing',
          next: 'unused',
        },
      ]),
    );
    const steps = 'the steps are: a, w, b';
    expect(problems).toEqual([
      { path: '/definition/steps/0/next', message: `names no step ("nowhere"); ${steps}` },
      { path: '/definition/steps/2/cases/0/goto', message: `names no step ("gone"); ${steps}` },
      { path: '/definition/steps/2/otherwise', message: `names no step ("lost"); ${steps}` },
      { path: '/definition/steps/2/noReply', message: `names no step ("missing"); ${steps}` },
      // Never taken (otherwise and noReply are given), yet a name must name a step.
      { path: '/definition/steps/2/next', message: `names no step ("unused"); ${steps}` },
    ]);
  });

  it('asks for the channel when a step sends', () => {
    const input = { ...joinFlow(), channelConfigurationId: null };
    expect(problemsOf(input)).toEqual([
      {
        path: '/definition/channelConfigurationId',
        message: 'is required: step "ask" sends a text',
      },
    ]);
  });

  it('names unreachable steps', () => {
    expect(
      problemsOf(
        flow([
          { id: 'a', type: 'send', templateId: 't' },
          { id: 'stop', type: 'end' },
          { id: 'orphan', type: 'send', templateId: 't' },
        ]),
      ),
    ).toEqual([
      {
        path: '/definition/steps/2',
        message: 'step "orphan" is unreachable: no step leads to it (runs start at the first step)',
      },
    ]);
  });

  it('refuses a loop without a wait, naming its steps, and accepts one with a wait', () => {
    const loop = (middle: unknown) =>
      flow([
        { id: 'a', type: 'send', templateId: 't' },
        middle,
        { id: 'c', type: 'set_attribute', name: 'n', value: 1, next: 'a' },
      ]);
    expect(problemsOf(loop({ id: 'b', type: 'clear_attribute', name: 'x' }))).toEqual([
      {
        path: '/definition/steps/0',
        message: 'loops without waiting: a → b → c → a; put a wait step in the loop',
      },
    ]);
    expect(checkDefinition(loop({ id: 'b', type: 'wait', seconds: 60 })).ok).toBe(true);
    // A step naming itself is a loop too.
    expect(
      problemsOf(flow([{ id: 'self', type: 'clear_attribute', name: 'x', next: 'self' }])),
    ).toEqual([
      {
        path: '/definition/steps/0',
        message: 'loops without waiting: self → self; put a wait step in the loop',
      },
    ]);
  });

  it('refuses a branch no wait for a reply comes before', () => {
    const problems = problemsOf(
      flow([
        { id: 'w', type: 'wait', seconds: 60 },
        { id: 'b', type: 'branch', cases: [{ match: { contains: 'yes' }, goto: 'e' }] },
        { id: 'e', type: 'end' },
      ]),
    );
    expect(problems).toEqual([
      {
        path: '/definition/steps/1',
        message:
          'branch "b" reads the last reply, but a path from the first step reaches it without a wait with untilReply: true',
      },
    ]);
  });

  it('accepts a branch after a wait for a reply, with sends and other branches between', () => {
    const result = checkDefinition(
      flow([
        { id: 'w', type: 'wait', seconds: 60, untilReply: true },
        { id: 'ack', type: 'send', templateId: 't' },
        { id: 'b1', type: 'branch', cases: [{ match: { contains: 'size' }, goto: 'b2' }] },
        { id: 'tag', type: 'set_attribute', name: 'asked', value: 'no', next: 'e' },
        { id: 'b2', type: 'branch', cases: [{ match: { keyword: 'L' }, goto: 'e' }] },
        { id: 'e', type: 'end' },
      ]),
    );
    expect(result.ok).toBe(true);
  });

  it('keeps to its limits on the largest graph', () => {
    // 50 steps, each a branch with 20 cases to every other step: the graph checks stay cheap.
    const ids = Array.from({ length: FLOW_LIMITS.steps }, (_, i) => `s${i}`);
    const steps = ids.map((id, i) =>
      i === 0
        ? { id, type: 'wait', seconds: 1, untilReply: true }
        : {
            id,
            type: 'branch',
            cases: Array.from({ length: FLOW_LIMITS.branchCases }, (_, k) => ({
              match: { any: true },
              goto: ids[(i + k) % ids.length]!,
            })),
          },
    );
    const started = performance.now();
    const problems = problemsOf(flow(steps));
    expect(performance.now() - started).toBeLessThan(200);
    expect(problems.some((p) => p.message.startsWith('loops without waiting'))).toBe(true);
  });
});
