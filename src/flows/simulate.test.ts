import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HELP_KEYWORDS,
  DEFAULT_OPT_IN_KEYWORDS,
  MANDATORY_OPT_OUT_KEYWORDS,
} from '../credentials/keywords.js';
import { classifyInbound, type InboundCategory, type KeywordRules } from '../inbound/classify.js';
import { consentBlock } from '../messages/consent-gate.js';
import { checkedFlow } from '../../test/helpers/flow-arbitraries.js';
import { checkDefinition } from './definition-schema.js';
import type { FlowDefinition } from './definition.js';
import {
  SIMULATION_LIMITS,
  simulateFlow,
  type PolicyDecision,
  type SimulateDeps,
  type SimulateInput,
} from './simulate.js';

const START = new Date('2026-03-02T15:00:00.000Z');

/** A credential's keyword rules, Tern's defaults unless told otherwise. */
const rules = (over: Partial<KeywordRules> = {}): KeywordRules => ({
  optOutKeywords: MANDATORY_OPT_OUT_KEYWORDS,
  optInKeywords: DEFAULT_OPT_IN_KEYWORDS,
  helpKeywords: DEFAULT_HELP_KEYWORDS,
  doubleOptInKeywords: [],
  customInboundKeywords: ['JOIN', 'OFFERS'],
  fuzzyOptOut: 'reply',
  ...over,
});

const TEMPLATES: Record<string, { text: string; messageType: 'marketing' | 'transactional' }> = {
  ask: { text: 'Reply YES to join the club', messageType: 'transactional' },
  welcome: { text: 'Welcome to the club, {{name}}!', messageType: 'marketing' },
  nudge: { text: 'Still there? Reply YES to join', messageType: 'transactional' },
  followup: { text: 'Offers of the week: 20% off', messageType: 'marketing' },
  // The generated flows' one template.
  t: { text: 'A text of the flow', messageType: 'marketing' },
};

const REPLIES: Partial<Record<InboundCategory, string>> = {
  opt_out: 'You are unsubscribed. No more texts.',
  opt_in: 'You are subscribed. Reply STOP to stop.',
  help: 'Club texts. Reply STOP to stop.',
};

/**
 * The deps as the service wires them, made of the real pure parts: the keyword classifier, the
 * consent gate (a subscribed-only sandbox); templates render `{{name}}` from the attributes.
 */
function deps(
  keywordRules = rules(),
  policy?: (at: Date) => PolicyDecision,
  keywordReplies: Record<string, string> = { OFFERS: 'Here are the offers: example.com/o' },
): SimulateDeps {
  return {
    classify: (text) => classifyInbound(text, keywordRules),
    systemReply: (category, keyword) =>
      category === 'custom' ? (keywordReplies[keyword ?? ''] ?? null) : (REPLIES[category] ?? null),
    render: (templateId, ctx) => {
      const template = TEMPLATES[templateId];
      if (template === undefined) {
        return Promise.resolve({
          ok: false,
          problems: [{ path: '/templateId', message: `template ${templateId} does not exist` }],
        });
      }
      const name = typeof ctx.attributes.name === 'string' ? ctx.attributes.name : 'friend';
      return Promise.resolve({
        ok: true,
        ...template,
        text: template.text.replace('{{name}}', name),
      });
    },
    // Any origin but an opt-out confirmation is judged alike by the gate.
    consentBlock: (consent, messageType) =>
      consentBlock(consent, messageType, 'subscribed-only', 'campaign'),
    ...(policy ? { policy } : {}),
  };
}

function flow(input: Record<string, unknown>): FlowDefinition {
  const result = checkDefinition({
    trigger: { type: 'keyword', credentialId: 'cred-1', keyword: 'JOIN' },
    channelConfigurationId: 'chan-1',
    ...input,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.definition;
}

/** JOIN → "reply YES" → a day for the answer → YES: subscribed and welcomed / none: a nudge. */
const joinFlow = () =>
  flow({
    steps: [
      { id: 'ask', type: 'send', templateId: 'ask' },
      { id: 'wait', type: 'wait', seconds: 86_400, untilReply: true },
      {
        id: 'answer',
        type: 'branch',
        cases: [{ match: { keyword: 'YES' }, goto: 'subscribe' }],
        otherwise: 'done',
        noReply: 'nudge',
      },
      { id: 'subscribe', type: 'set_consent', to: 'subscribed' },
      { id: 'welcome', type: 'send', templateId: 'welcome', next: 'done' },
      { id: 'nudge', type: 'send', templateId: 'nudge' },
      { id: 'done', type: 'end' },
    ],
  });

const script = (...lines: [number, string][]): SimulateInput => ({
  script: lines.map(([atSeconds, text]) => ({ atSeconds, text })),
  attributes: { name: 'Ada' },
});

describe('simulateFlow: the issue example, "at 0 s the person texts JOIN, at 30 s YES"', () => {
  it('with the default opt-in keywords YES is an opt-in: it pre-empts the run', async () => {
    // YES is one of Tern's default opt-in keywords (src/credentials/keywords.ts): the inbound
    // engine opts the person in and answers with the opt-in confirmation, and an opt-in is never
    // taken as a flow's reply, so the run waiting for it ends preempted.
    const result = await simulateFlow(joinFlow(), script([0, 'JOIN'], [30, 'YES']), deps(), START);
    expect(result.messages).toEqual([
      {
        atSeconds: 0,
        at: '2026-03-02T15:00:00.000Z',
        stepId: 'ask',
        kind: 'flow',
        text: 'Reply YES to join the club',
        status: 'would_send',
        reason: null,
      },
      {
        atSeconds: 30,
        at: '2026-03-02T15:00:30.000Z',
        stepId: null,
        kind: 'reply',
        text: 'You are subscribed. Reply STOP to stop.',
        status: 'would_send',
        reason: null,
      },
    ]);
    expect(result.runs).toEqual([
      { startedAtSeconds: 0, endedAtSeconds: 30, endReason: 'preempted' },
    ]);
    expect(result.endedAtSeconds).toBe(31);
    expect(result.timeline.map((n) => [n.atSeconds, n.kind, n.detail])).toEqual([
      [
        0,
        'warning',
        'YES is an opt-in keyword for the credential: Tern answers it itself and ends the run waiting for a reply, so branch "answer" never sees it',
      ],
      [0, 'text', 'the person texts "JOIN" (custom keyword JOIN)'],
      [0, 'started', 'the run starts: texted JOIN'],
      [0, 'sent', 'would send "Reply YES to join the club"'],
      [0, 'waiting', 'waits up to 1 day for a reply'],
      [30, 'text', 'the person texts "YES" (opt-in keyword YES)'],
      [30, 'ended', "the run ends (preempted): opt-in keyword YES is never a flow's reply"],
    ]);
  });

  it('on a credential whose opt-in list leaves YES out, YES is free text: the branch takes it', async () => {
    const credential = rules({ optInKeywords: ['START', 'UNSTOP'] });
    const result = await simulateFlow(
      joinFlow(),
      script([0, 'JOIN'], [30, 'yes!']),
      deps(credential),
      START,
    );
    expect(result.messages.map((m) => [m.atSeconds, m.stepId, m.text, m.status])).toEqual([
      [0, 'ask', 'Reply YES to join the club', 'would_send'],
      // The marketing welcome goes out: the flow's set_consent made the person subscribed.
      [30, 'welcome', 'Welcome to the club, Ada!', 'would_send'],
    ]);
    expect(result.runs).toEqual([
      { startedAtSeconds: 0, endedAtSeconds: 30, endReason: 'end_step' },
    ]);
    expect(result.timeline.filter((n) => n.atSeconds === 30).map((n) => n.kind)).toEqual([
      'text',
      'replied',
      'branched',
      'action',
      'sent',
      'ended',
    ]);
    // YES is free on this credential: nothing to warn of.
    expect(result.timeline.filter((n) => n.kind === 'warning')).toEqual([]);
  });

  it('with no answer, the nudge goes out when the day is over', async () => {
    const result = await simulateFlow(joinFlow(), script([0, 'JOIN']), deps(), START);
    expect(result.messages.map((m) => [m.atSeconds, m.stepId])).toEqual([
      [0, 'ask'],
      [86_400, 'nudge'],
    ]);
    expect(result.runs[0]).toEqual({
      startedAtSeconds: 0,
      endedAtSeconds: 86_400,
      endReason: 'end_step',
    });
    expect(result.endedAtSeconds).toBe(86_401);
  });

  it('a reply at the very deadline still counts: texts come before timers at the same instant', async () => {
    const credential = rules({ optInKeywords: ['START'] });
    const result = await simulateFlow(
      joinFlow(),
      script([0, 'JOIN'], [86_400, 'YES']),
      deps(credential),
      START,
    );
    expect(result.messages.map((m) => m.stepId)).toEqual(['ask', 'welcome']);
  });
});

describe('simulateFlow: the issue\'s "done when" (OFFERS, a list, a follow-up a day later)', () => {
  const offers = () =>
    flow({
      trigger: { type: 'keyword', credentialId: 'cred-1', keyword: 'OFFERS' },
      steps: [
        { id: 'list', type: 'add_to_list', listId: 'offers-list' },
        { id: 'day', type: 'wait', seconds: 86_400 },
        { id: 'followup', type: 'send', templateId: 'followup' },
      ],
    });

  it('sends the offers reply, adds to the list, and follows up a day later', async () => {
    const result = await simulateFlow(
      offers(),
      { ...script([0, 'offers']), consent: 'subscribed' },
      deps(),
      START,
    );
    expect(result.messages.map((m) => [m.atSeconds, m.kind, m.text, m.status])).toEqual([
      [0, 'reply', 'Here are the offers: example.com/o', 'would_send'],
      [86_400, 'flow', 'Offers of the week: 20% off', 'would_send'],
    ]);
    expect(result.timeline.find((n) => n.kind === 'action')?.detail).toBe(
      'adds the person to list offers-list (simulated)',
    );
    expect(result.runs).toEqual([
      { startedAtSeconds: 0, endedAtSeconds: 86_400, endReason: 'completed' },
    ]);
  });

  it('STOP in between ends the run: no follow-up, the opt-out confirmation instead', async () => {
    const result = await simulateFlow(
      offers(),
      { ...script([0, 'OFFERS'], [3_600, 'stop']), consent: 'subscribed' },
      deps(),
      START,
    );
    expect(result.messages.map((m) => [m.atSeconds, m.text])).toEqual([
      [0, 'Here are the offers: example.com/o'],
      [3_600, 'You are unsubscribed. No more texts.'],
    ]);
    // STOP ends every run, also one waiting on a plain timer.
    expect(result.runs).toEqual([
      { startedAtSeconds: 0, endedAtSeconds: 3_600, endReason: 'opted_out' },
    ]);
  });

  it('HELP ends only a run waiting for a reply; a run on a plain timer goes on', async () => {
    const result = await simulateFlow(
      offers(),
      { ...script([0, 'OFFERS'], [60, 'HELP']), consent: 'subscribed' },
      deps(),
      START,
    );
    expect(result.runs[0]?.endReason).toBe('completed');
    expect(result.messages.map((m) => m.text)).toEqual([
      'Here are the offers: example.com/o',
      'Club texts. Reply STOP to stop.',
      'Offers of the week: 20% off',
    ]);
  });
});

describe('simulateFlow: guards, consent and policy', () => {
  it('keeps one run per person, or starts one per keyword when the flow allows it', async () => {
    const steps = [
      { id: 'hello', type: 'send', templateId: 'ask' },
      { id: 'pause', type: 'wait', seconds: 600 },
    ];
    const one = await simulateFlow(
      flow({ steps }),
      script([0, 'JOIN'], [10, 'JOIN']),
      deps(),
      START,
    );
    expect(one.runs).toHaveLength(1);
    expect(one.timeline.find((n) => n.kind === 'not_started')?.detail).toBe(
      'texted JOIN: no new run, the person is already in one (oneRunPerPerson)',
    );
    const many = await simulateFlow(
      flow({ steps, settings: { oneRunPerPerson: false } }),
      script([0, 'JOIN'], [10, 'JOIN']),
      deps(),
      START,
    );
    expect(many.runs.map((r) => r.startedAtSeconds)).toEqual([0, 10]);
    expect(many.timeline.filter((n) => n.kind === 'started').map((n) => n.detail)).toEqual([
      'run 1: the run starts: texted JOIN',
      'run 2: the run starts: texted JOIN',
    ]);
  });

  it('says why the trigger keyword starts nothing when the credential does not have it', async () => {
    const credential = rules({ customInboundKeywords: ['OFFERS'] });
    const result = await simulateFlow(joinFlow(), script([0, 'join']), deps(credential), START);
    expect(result.runs).toEqual([]);
    expect(result.timeline.filter((n) => n.kind !== 'warning').map((n) => n.detail)).toEqual([
      'the person texts "join" (free text)',
      'JOIN is not a custom keyword of the credential, so it starts no run',
    ]);
    expect(result.endedAtSeconds).toBe(1);
  });

  it("ends a run on the per-day guard, counting the flow's sends of the last 24 hours", async () => {
    const definition = flow({
      settings: { maxSendsPerRun: 10, maxSendsPerDay: 3 },
      steps: [
        { id: 'send', type: 'send', templateId: 'ask' },
        { id: 'hour', type: 'wait', seconds: 3_600, next: 'send' },
      ],
    });
    const result = await simulateFlow(definition, script([0, 'JOIN']), deps(), START);
    expect(result.messages.map((m) => m.atSeconds)).toEqual([0, 3_600, 7_200]);
    expect(result.runs[0]).toEqual({
      startedAtSeconds: 0,
      endedAtSeconds: 10_800,
      endReason: 'loop_guard',
    });
    expect(result.timeline.at(-1)?.detail).toBe(
      'the run ends (loop_guard): this flow sent 3 texts to the number in 24 hours and this would be one more',
    );
  });

  it('counts a text sent exactly 24 hours ago, as the engine does', async () => {
    const definition = flow({
      settings: { maxSendsPerDay: 1 },
      steps: [
        { id: 'send', type: 'send', templateId: 'ask' },
        { id: 'day', type: 'wait', seconds: 86_400 },
        { id: 'again', type: 'send', templateId: 'ask' },
      ],
    });
    const result = await simulateFlow(definition, script([0, 'JOIN']), deps(), START);
    expect(result.messages.map((m) => m.atSeconds)).toEqual([0]);
    expect(result.runs[0]?.endReason).toBe('loop_guard');
  });

  it('suppresses what consent forbids, holds what the policy holds, fails what does not render', async () => {
    const definition = flow({
      steps: [
        { id: 'promo', type: 'send', templateId: 'followup' },
        { id: 'broken', type: 'send', templateId: 'missing' },
        { id: 'optin', type: 'set_consent', to: 'subscribed' },
        { id: 'late', type: 'send', templateId: 't' },
        { id: 'info', type: 'send', templateId: 'ask' },
      ],
      settings: { maxSendsPerDay: 5 },
    });
    const asked: Date[] = [];
    const quiet = (at: Date): PolicyDecision => {
      asked.push(at);
      return { kind: 'hold', until: '2026-03-03T13:00:00.000Z', reason: 'quiet hours in Florida' };
    };
    const result = await simulateFlow(definition, script([0, 'JOIN']), deps(rules(), quiet), START);
    expect(result.messages.map((m) => [m.stepId, m.status, m.reason])).toEqual([
      [
        'promo',
        'suppressed',
        "marketing needs a subscribed recipient under this sandbox's subscribed-only policy (consent: unknown)",
      ],
      ['broken', 'failed', 'template missing does not exist'],
      ['late', 'held', 'quiet hours in Florida (held until 2026-03-03T13:00:00.000Z)'],
      // A transactional text is not the send-time policy's to judge (policyApplies).
      ['info', 'would_send', null],
    ]);
    expect(asked).toEqual([START]);
    expect(result.timeline.filter((n) => n.stepId !== null).map((n) => n.kind)).toEqual([
      'send_skipped',
      'send_failed',
      'action',
      'sent',
      'sent',
      'ended',
    ]);
  });

  it('starts a run at 0 s for a trigger that is not a keyword, and stops at untilSeconds', async () => {
    const definition = flow({
      trigger: { type: 'segment_entered', segmentId: 'seg-vip' },
      steps: [
        { id: 'w', type: 'wait', seconds: 7_200 },
        { id: 'promo', type: 'send', templateId: 'followup' },
      ],
    });
    const result = await simulateFlow(
      definition,
      { script: [], start: true, untilSeconds: 3_600, consent: 'subscribed' },
      deps(),
      START,
    );
    expect(result.timeline[0]?.detail).toBe('the run starts: entered segment seg-vip');
    expect(result.messages).toEqual([]);
    expect(result.runs).toEqual([{ startedAtSeconds: 0, endedAtSeconds: null, endReason: null }]);
    expect(result.endedAtSeconds).toBe(3_600);
  });

  it('stops a flow that would run forever at the interpreter-call budget', async () => {
    // A one-second loop of attribute changes: no send, so no loop guard ever ends it.
    const definition = flow({
      trigger: { type: 'api_event', event: 'go' },
      steps: [
        { id: 'tick', type: 'wait', seconds: 1 },
        { id: 'tag', type: 'set_attribute', name: 'ticks', value: 1, next: 'tick' },
      ],
    });
    const began = performance.now();
    const result = await simulateFlow(definition, { script: [], start: true }, deps(), START);
    expect(performance.now() - began).toBeLessThan(3_000);
    expect(result.timeline.at(-1)).toMatchObject({
      kind: 'stopped',
      detail: `the simulation stops: it made ${SIMULATION_LIMITS.interpreterCalls} steps`,
    });
    // One call at 0 s, then one a second: the call beyond the budget was due at 10,000 s.
    expect(result.endedAtSeconds).toBe(SIMULATION_LIMITS.interpreterCalls);
    expect(result.runs[0]?.endedAtSeconds).toBeNull();
  });
});

describe('simulateFlow: properties', () => {
  const lines = fc.array(
    fc.record({
      atSeconds: fc.oneof(
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 0, max: 400 * 86_400 }),
      ),
      text: fc.oneof(
        fc.constantFrom(
          'JOIN',
          'YES',
          'no',
          'STOP',
          'HELP',
          'START',
          'size L',
          'later',
          'please stop',
        ),
        fc.string({ maxLength: 30 }),
      ),
    }),
    { maxLength: 30 },
  );

  it('is bounded and keeps both loop guards, on any checked flow and script', async () => {
    await fc.assert(
      fc.asyncProperty(
        checkedFlow,
        lines,
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 500 * 86_400 }), { nil: undefined }),
        fc.integer({ min: 1, max: 3 }),
        async (generated, script, start, untilSeconds, maxSendsPerDay) => {
          const definition: FlowDefinition = {
            ...generated,
            trigger: { type: 'keyword', credentialId: 'cred-1', keyword: 'JOIN' },
            settings: { ...generated.settings, maxSendsPerDay },
          };
          const result = await simulateFlow(
            definition,
            { script, start, untilSeconds, consent: 'subscribed' },
            deps(rules({ optInKeywords: ['START'] })),
            START,
          );
          expect(result.endedAtSeconds).toBeLessThanOrEqual(SIMULATION_LIMITS.horizonSeconds);
          const flowSends = result.messages.filter(
            (m) => m.kind === 'flow' && (m.status === 'would_send' || m.status === 'held'),
          );
          // Per day: no 24-hour window holds more than maxSendsPerDay of the flow's texts.
          for (const m of flowSends) {
            const inWindow = flowSends.filter(
              (o) => o.atSeconds <= m.atSeconds && o.atSeconds > m.atSeconds - 86_400,
            );
            expect(inWindow.length).toBeLessThanOrEqual(definition.settings.maxSendsPerDay);
          }
          // Per run: every run's sends within maxSendsPerRun.
          const flowMessages = result.messages.filter((m) => m.kind === 'flow').length;
          expect(flowMessages).toBeLessThanOrEqual(
            result.runs.length * definition.settings.maxSendsPerRun,
          );
          expect(result.runs.length).toBeLessThanOrEqual(script.length + 1);
          for (const r of result.runs) {
            expect(r.endReason === null).toBe(r.endedAtSeconds === null);
            expect(r.endReason).not.toBe('step_limit');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
