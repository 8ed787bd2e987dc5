import fc from 'fast-check';
import { checkDefinition } from '../../src/flows/definition-schema.js';

/**
 * Generated flow definitions the check accepts, for the flow property tests
 * (src/flows/interpreter.test.ts, simulate.test.ts): sends, actions, plain waits, waits for a
 * reply each followed by a branch, ends, and jumps forward and back.
 */

export const ID_POOL = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n'];
const match = fc.oneof(
  fc.constantFrom('YES', 'NO', 'STOP').map((keyword) => ({ keyword })),
  fc.constantFrom('size', 'later').map((contains) => ({ contains })),
  fc.constant({ any: true as const }),
);
const segment = fc.record({
  kind: fc.constantFrom('send', 'send', 'action', 'wait', 'ask', 'ask', 'end'),
  seconds: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 3_600, max: 172_800 })),
  matches: fc.array(match, { maxLength: 3 }),
  /** Which step each jump names, as an index into the steps it may name. */
  picks: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
  /** Which of next, otherwise, noReply are given. */
  given: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
});

type Segment = typeof segment extends fc.Arbitrary<infer T> ? T : never;

/**
 * A flow built to pass the check most of the time: a branch right after each wait for a
 * reply, jumps forward to any step but a branch, and back only to a wait (so every loop waits).
 */
function buildFlow(segments: Segment[], maxSendsPerRun: number) {
  const kinds = segments.flatMap((g) => (g.kind === 'ask' ? ['ask', 'branch'] : [g.kind]));
  const steps: Record<string, unknown>[] = [];
  const bodies = segments.flatMap((g) => (g.kind === 'ask' ? [g, g] : [g]));
  const jump = (i: number, pick: number) => {
    const allowed = kinds
      .map((k, j) => j)
      .filter((j) => kinds[j] !== 'branch' && (j > i || kinds[j] === 'wait' || kinds[j] === 'ask'));
    return allowed.length === 0 ? undefined : ID_POOL[allowed[pick % allowed.length]!];
  };
  kinds.slice(0, ID_POOL.length).forEach((kind, i) => {
    const g = bodies[i]!;
    const id = ID_POOL[i]!;
    const next = g.given[0] && kind !== 'ask' ? jump(i, g.picks[0]!) : undefined;
    const withNext = (step: Record<string, unknown>) =>
      steps.push(next === undefined ? step : { ...step, next });
    if (kind === 'send') withNext({ id, type: 'send', templateId: 't' });
    if (kind === 'action') withNext({ id, type: 'set_attribute', name: 'n', value: i });
    if (kind === 'wait') withNext({ id, type: 'wait', seconds: g.seconds });
    if (kind === 'ask') steps.push({ id, type: 'wait', seconds: g.seconds, untilReply: true });
    if (kind === 'end') steps.push({ id, type: 'end' });
    if (kind === 'branch') {
      const step: Record<string, unknown> = {
        id,
        type: 'branch',
        cases: g.matches.flatMap((m, k) => {
          const goto = jump(i, g.picks[3 + (k % 3)]!);
          return goto === undefined ? [] : [{ match: m, goto }];
        }),
      };
      if (g.given[1]) step.otherwise = jump(i, g.picks[1]!);
      if (g.given[2]) step.noReply = jump(i, g.picks[2]!);
      withNext(JSON.parse(JSON.stringify(step)) as Record<string, unknown>);
    }
  });
  return checkDefinition({
    trigger: { type: 'api_event', event: 'go' },
    channelConfigurationId: 'chan-1',
    settings: { maxSendsPerRun },
    steps,
  });
}

export const checkedFlow = fc
  .tuple(fc.array(segment, { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 6 }))
  .map(([segments, maxSendsPerRun]) => buildFlow(segments, maxSendsPerRun))
  .filter((r) => r.ok)
  .map((r) => (r.ok ? r.definition : (null as never)));
