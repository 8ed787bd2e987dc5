import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDefinition } from './definition-schema.js';
import {
  FLOW_LIMITS,
  type Advance,
  type FlowDefinition,
  type FlowStep,
  type ReplyInfo,
  type RunInput,
  type RunState,
} from './definition.js';
import { advance, initialState } from './interpreter.js';
import { checkedFlow, ID_POOL } from '../../test/helpers/flow-arbitraries.js';

const T0 = new Date('2026-03-02T15:00:00.000Z');
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const reply = (text: string, at = T0): RunInput => ({
  kind: 'reply',
  reply: { text, inboundMessageId: 'in-1', at: at.toISOString() },
});

/** A checked definition (the interpreter's contract is on checked ones). */
function flow(steps: unknown[], settings: Record<string, unknown> = {}): FlowDefinition {
  const result = checkDefinition({
    trigger: { type: 'keyword', credentialId: 'cred-1', keyword: 'JOIN' },
    channelConfigurationId: 'chan-1',
    settings,
    steps,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.definition;
}

/** JOIN → ask → a day for the answer → YES thanks / other text: sorry / no reply: a nudge. */
const joinFlow = () =>
  flow([
    { id: 'ask', type: 'send', templateId: 'tpl-ask' },
    { id: 'wait', type: 'wait', seconds: 86_400, untilReply: true },
    {
      id: 'answer',
      type: 'branch',
      cases: [
        { match: { keyword: 'yes' }, goto: 'thanks' },
        { match: { contains: 'later' }, goto: 'done' },
      ],
      otherwise: 'sorry',
      noReply: 'nudge',
    },
    { id: 'thanks', type: 'add_to_list', listId: 'list-1', next: 'done' },
    { id: 'sorry', type: 'send', templateId: 'tpl-sorry', next: 'done' },
    { id: 'nudge', type: 'send', templateId: 'tpl-nudge' },
    { id: 'done', type: 'end' },
  ]);

const start = (definition: FlowDefinition, now = T0) =>
  advance(definition, initialState(definition), { kind: 'start' }, now);

describe('advance', () => {
  it('starts at the first step and runs to the first wait', () => {
    const definition = joinFlow();
    expect(initialState(definition)).toEqual({
      position: 'ask',
      waiting: null,
      lastReply: null,
      sends: 0,
    });
    const first = start(definition);
    expect(first).toEqual({
      state: {
        position: 'wait',
        waiting: { stepId: 'wait', untilReply: true, dueAt: '2026-03-03T15:00:00.000Z' },
        lastReply: null,
        sends: 1,
      },
      effects: [{ kind: 'send', stepId: 'ask', templateId: 'tpl-ask' }],
      timeline: [
        { at: T0.toISOString(), stepId: 'ask', kind: 'sent', detail: 'sends template tpl-ask' },
        {
          at: T0.toISOString(),
          stepId: 'wait',
          kind: 'waiting',
          detail: 'waits up to 1 day for a reply',
        },
      ],
      status: 'waiting',
      endReason: null,
      dueAt: '2026-03-03T15:00:00.000Z',
    } satisfies Advance);
  });

  it('takes a reply to the branch: keywords fold case, accents and punctuation', () => {
    const definition = joinFlow();
    for (const text of ['yes', ' YES! ', 'Yés', 'ｙｅｓ']) {
      const done = advance(definition, start(definition).state, reply(text, later(30)), later(30));
      expect(done.status).toBe('ended');
      expect(done.endReason).toBe('end_step');
      expect(done.effects).toEqual([
        {
          kind: 'action',
          stepId: 'thanks',
          action: { type: 'add_to_list', listId: 'list-1' },
        },
      ]);
      expect(done.state.lastReply?.text).toBe(text);
      expect(done.timeline.map((n) => n.kind)).toEqual(['replied', 'branched', 'action', 'ended']);
    }
  });

  it('takes `contains`, then otherwise, and noReply after a timeout', () => {
    const definition = joinFlow();
    const waiting = start(definition).state;
    const contains = advance(definition, waiting, reply('maybe LATER today'), later(5));
    expect(contains.effects).toEqual([]);
    expect(contains.endReason).toBe('end_step');
    // Folded as keywords are: width, case and accents.
    expect(advance(definition, waiting, reply('ｍａｙｂｅ Látér'), later(5)).endReason).toBe(
      'end_step',
    );

    const other = advance(definition, waiting, reply('what is this?'), later(5));
    expect(other.effects).toEqual([{ kind: 'send', stepId: 'sorry', templateId: 'tpl-sorry' }]);
    expect(other.timeline[1]?.detail).toBe(
      'the reply "what is this?" matches no case: goes to "sorry"',
    );

    const timedOut = advance(definition, waiting, { kind: 'timer' }, later(86_400));
    expect(timedOut.effects).toEqual([{ kind: 'send', stepId: 'nudge', templateId: 'tpl-nudge' }]);
    expect(timedOut.state.lastReply).toBeNull();
    expect(timedOut.timeline.map((n) => n.detail)).toEqual([
      'no reply came before the deadline',
      'no reply to read: goes to "nudge"',
      'sends template tpl-nudge',
      'the run ends (end_step): it reached an end step',
    ]);
  });

  it('does nothing for a timer before the deadline, a reply to a plain wait, or a second start', () => {
    const definition = flow([
      { id: 'w', type: 'wait', seconds: 60 },
      { id: 's', type: 'send', templateId: 't' },
    ]);
    const waiting = start(definition).state;
    const frozen = structuredClone(waiting);
    for (const [input, at] of [
      [{ kind: 'timer' }, later(59)],
      [reply('hello'), later(10)],
      [{ kind: 'start' }, later(10)],
    ] as [RunInput, Date][]) {
      expect(advance(definition, waiting, input, at)).toEqual({
        state: waiting,
        effects: [],
        timeline: [],
        status: 'waiting',
        endReason: null,
        dueAt: later(60).toISOString(),
      });
    }
    expect(waiting).toEqual(frozen);
    const done = advance(definition, waiting, { kind: 'timer' }, later(60));
    expect(done).toMatchObject({ status: 'ended', endReason: 'completed', dueAt: null });
    expect(done.timeline[0]?.detail).toBe('the wait is over');
  });

  it('leaves an ended run ended, and a reply to a run not yet started alone', () => {
    const definition = joinFlow();
    const ended: RunState = { position: null, waiting: null, lastReply: null, sends: 1 };
    expect(advance(definition, ended, { kind: 'timer' }, T0)).toMatchObject({
      state: ended,
      status: 'ended',
      effects: [],
    });
    const fresh = initialState(definition);
    expect(advance(definition, fresh, reply('yes'), T0).state).toBe(fresh);
  });

  it('divides waits by the time scale', () => {
    const definition = joinFlow();
    const fast = advance(definition, initialState(definition), { kind: 'start' }, T0, {
      timeScale: 1440,
    });
    expect(fast.dueAt).toBe(later(60).toISOString());
    // A scale below 1 (or not a number) is taken as 1.
    for (const timeScale of [0, -5, Number.NaN]) {
      const plain = advance(definition, initialState(definition), { kind: 'start' }, T0, {
        timeScale,
      });
      expect(plain.dueAt).toBe(later(86_400).toISOString());
    }
  });

  it('ends the run failed when its position names no step (a new version dropped it)', () => {
    const definition = joinFlow();
    const state: RunState = {
      position: 'gone',
      waiting: { stepId: 'gone', untilReply: false, dueAt: T0.toISOString() },
      lastReply: null,
      sends: 0,
    };
    const result = advance(definition, state, { kind: 'timer' }, T0);
    expect(result).toMatchObject({ status: 'ended', endReason: 'failed', effects: [] });
    expect(result.timeline.at(-1)?.detail).toBe(
      'the run ends (failed): step "gone" is not in this flow version',
    );
    const noWait = advance(definition, { ...state, waiting: null }, { kind: 'start' }, T0);
    expect(noWait.endReason).toBe('failed');
  });

  it('ends at the last step completed, and at an end step end_step', () => {
    const last = flow([{ id: 'tag', type: 'set_consent', to: 'subscribed' }]);
    expect(start(last)).toMatchObject({
      status: 'ended',
      endReason: 'completed',
      effects: [
        { kind: 'action', stepId: 'tag', action: { type: 'set_consent', to: 'subscribed' } },
      ],
    });
  });

  it('ends loop_guard on the send beyond maxSendsPerRun', () => {
    const definition = flow(
      [
        { id: 'send', type: 'send', templateId: 't' },
        { id: 'pause', type: 'wait', seconds: 1, next: 'send' },
      ],
      { maxSendsPerRun: 2 },
    );
    let result = start(definition);
    let at = 0;
    while (result.status === 'waiting') {
      at += 1;
      result = advance(definition, result.state, { kind: 'timer' }, later(at));
    }
    expect(result.endReason).toBe('loop_guard');
    expect(result.state.sends).toBe(2);
    expect(at).toBe(2);
    expect(result.timeline.at(-1)?.detail).toBe(
      'the run ends (loop_guard): a run may send 2 texts and this would be one more',
    );
  });

  it('stops a loop without a wait (a definition the check would refuse) at the step limit', () => {
    const steps: FlowStep[] = [
      { id: 'a', type: 'clear_attribute', name: 'x' },
      { id: 'b', type: 'clear_attribute', name: 'y', next: 'a' },
    ];
    const definition: FlowDefinition = { ...joinFlow(), steps };
    const result = start(definition);
    expect(result.endReason).toBe('step_limit');
    expect(result.effects).toHaveLength(FLOW_LIMITS.stepsPerAdvance);
  });

  it('does nothing on a clock with no time, and keeps a deadline past the last date valid', () => {
    const definition = joinFlow();
    const fresh = initialState(definition);
    expect(advance(definition, fresh, { kind: 'start' }, new Date(Number.NaN)).state).toBe(fresh);
    const edge = advance(definition, fresh, { kind: 'start' }, new Date(8.64e15 - 1000));
    expect(edge.dueAt).toBe(new Date(8.64e15).toISOString());
  });

  it('quotes a long reply in a sentence, not whole', () => {
    const definition = joinFlow();
    const long = `${'word '.repeat(100_000)}`;
    const result = advance(definition, start(definition).state, reply(long), later(1));
    expect(result.timeline[0]!.detail.length).toBeLessThan(100);
  });
});

// ---- properties over generated flows ----

const inputs = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('timer' as const), after: fc.integer({ min: 0, max: 700 }) }),
    fc.record({
      kind: fc.constant('reply' as const),
      after: fc.integer({ min: 0, max: 700 }),
      text: fc.oneof(fc.constantFrom('yes', 'No', 'size L', 'later'), fc.string({ maxLength: 40 })),
    }),
  ),
  { maxLength: 40 },
);

describe('advance: properties', () => {
  it('never throws, takes at most stepsPerAdvance steps, and sends at most maxSendsPerRun', () => {
    fc.assert(
      fc.property(checkedFlow, inputs, (definition, script) => {
        let now = T0.getTime();
        let result = advance(definition, initialState(definition), { kind: 'start' }, T0);
        let sends = result.effects.filter((e) => e.kind === 'send').length;
        const check = (r: Advance) => {
          // A checked definition has no loop without a wait: the step limit is never reached.
          expect(r.endReason).not.toBe('step_limit');
          expect(r.effects.length).toBeLessThanOrEqual(FLOW_LIMITS.stepsPerAdvance);
          // The engine pairs each 'sent'/'action' note with an effect, in order.
          expect(r.timeline.filter((n) => n.kind === 'sent' || n.kind === 'action')).toHaveLength(
            r.effects.length,
          );
          expect(r.status === 'ended').toBe(r.dueAt === null);
          expect(r.status === 'ended').toBe(r.state.position === null);
        };
        check(result);
        for (const line of script) {
          if (result.status === 'ended') break;
          now += line.after * 1000;
          const info: ReplyInfo = {
            text: 'x',
            inboundMessageId: null,
            at: new Date(now).toISOString(),
          };
          const input: RunInput =
            line.kind === 'timer'
              ? { kind: 'timer' }
              : { kind: 'reply', reply: { ...info, text: line.text } };
          const before = structuredClone(result.state);
          const next = advance(definition, result.state, input, new Date(now));
          expect(result.state).toEqual(before); // the state given is never changed
          check(next);
          sends += next.effects.filter((e) => e.kind === 'send').length;
          result = next;
        }
        expect(sends).toBeLessThanOrEqual(definition.settings.maxSendsPerRun);
        expect(result.state.sends).toBe(sends);
      }),
      { numRuns: 400 },
    );
  });

  it('is total on any state, checked definition, input and date', () => {
    const state = fc.record({
      position: fc.option(fc.constantFrom(...ID_POOL, 'zz'), { nil: null }),
      waiting: fc.option(
        fc.record({
          stepId: fc.constantFrom(...ID_POOL, 'zz'),
          untilReply: fc.boolean(),
          dueAt: fc.oneof(
            fc.constant('not a date'),
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          ),
        }),
        { nil: null },
      ),
      lastReply: fc.option(
        fc.record({ text: fc.string(), inboundMessageId: fc.constant(null), at: fc.constant('') }),
        { nil: null },
      ),
      sends: fc.nat(200),
    });
    const input = fc.oneof(
      fc.constant<RunInput>({ kind: 'start' }),
      fc.constant<RunInput>({ kind: 'timer' }),
      fc.string().map<RunInput>((text) => ({
        kind: 'reply',
        reply: { text, inboundMessageId: null, at: '' },
      })),
    );
    fc.assert(
      fc.property(
        checkedFlow,
        state,
        input,
        fc.date(),
        fc.double(),
        (definition, s, i, now, timeScale) => {
          const result = advance(definition, s, i, now, { timeScale });
          expect(['waiting', 'ended']).toContain(result.status);
          expect(result.effects.length).toBeLessThanOrEqual(FLOW_LIMITS.stepsPerAdvance);
        },
      ),
      { numRuns: 400 },
    );
  });
});
