import { describe, expect, it } from 'vitest';
import { DEFAULT_HELP_KEYWORDS, MANDATORY_OPT_OUT_KEYWORDS } from '../credentials/keywords.js';
import { classifyInbound, type KeywordRules } from '../inbound/classify.js';
import { consentBlock } from '../messages/consent-gate.js';
import { checkDefinition } from './definition-schema.js';
import type { FlowDefinition } from './definition.js';
import {
  simulateFlow,
  type SimulateDeps,
  type SimulatedKeywordResponse,
  type SimulatedResponseAction,
} from './simulate.js';

const START = new Date('2026-03-02T15:00:00.000Z');

/** YES is free text here (START is the only opt-in): a flow's branch can take it. */
const RULES: KeywordRules = {
  optOutKeywords: MANDATORY_OPT_OUT_KEYWORDS,
  optInKeywords: ['START'],
  helpKeywords: DEFAULT_HELP_KEYWORDS,
  doubleOptInKeywords: [],
  customInboundKeywords: ['JOIN', 'OFFERS'],
  fuzzyOptOut: 'reply',
};

/** A flow started by an API event, so only JOIN's keyword response (start_flow) starts it. */
function definition(): FlowDefinition {
  const result = checkDefinition({
    trigger: { type: 'api_event', event: 'join' },
    channelConfigurationId: 'chan-1',
    steps: [
      { id: 'ask', type: 'send', templateId: 'ask' },
      { id: 'wait', type: 'wait', seconds: 3_600, untilReply: true },
      {
        id: 'answer',
        type: 'branch',
        cases: [{ match: { keyword: 'YES' }, goto: 'welcome' }],
        otherwise: 'done',
        noReply: 'done',
      },
      { id: 'welcome', type: 'send', templateId: 'welcome', next: 'done' },
      { id: 'done', type: 'end' },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.definition;
}

const act = (action: SimulatedResponseAction['action'], describe: string, self = false) => ({
  action,
  startsThisFlow: self,
  describe,
});

/** JOIN's response: tier gold, the Club list, subscribed, this flow; a reply naming the tier. */
const JOIN: SimulatedKeywordResponse = {
  actions: [
    act({ type: 'set_attribute', name: 'tier', value: 'gold' }, 'set tier to "gold"'),
    act({ type: 'add_to_list', listId: 'l1' }, 'add to list "Club"'),
    act({ type: 'set_consent', to: 'subscribed' }, 'set consent to subscribed'),
    act({ type: 'start_flow', flowId: 'f1' }, 'start flow "Join"', true),
    act({ type: 'start_flow', flowId: 'f2' }, 'start flow "Other"'),
  ],
  reply: (ctx) =>
    Promise.resolve({
      ok: true,
      text: `${ctx.keyword}: welcome, ${String(ctx.attributes.tier)} member (${ctx.consent})`,
      messageType: 'transactional',
    }),
};

function deps(responses: Record<string, SimulatedKeywordResponse | null>): SimulateDeps {
  return {
    classify: (text) => classifyInbound(text, RULES),
    systemReply: (category) =>
      category === 'help'
        ? 'Club texts. Reply STOP to stop.'
        : category === 'opt_out'
          ? 'You are unsubscribed.'
          : null,
    keywordResponse: (keyword) => Promise.resolve(responses[keyword] ?? null),
    render: (templateId) =>
      Promise.resolve({ ok: true, text: `text ${templateId}`, messageType: 'marketing' }),
    consentBlock: (consent, messageType) =>
      consentBlock(consent, messageType, 'subscribed-only', 'flow'),
  };
}

const lines = (...l: [number, string][]) => l.map(([atSeconds, text]) => ({ atSeconds, text }));

describe('simulateFlow: keyword responses', () => {
  it('runs the actions in order, then replies as they left the person; its own run does not take the keyword as its reply', async () => {
    const result = await simulateFlow(
      definition(),
      { script: lines([0, 'join'], [60, 'yes']) },
      deps({ JOIN }),
      START,
    );
    expect(result.messages.map((m) => [m.atSeconds, m.kind, m.status, m.text])).toEqual([
      // The reply first: the run start_flow made takes its first step after the text (runner).
      [0, 'reply', 'would_send', 'JOIN: welcome, gold member (subscribed)'],
      [0, 'flow', 'would_send', 'text ask'],
      [60, 'flow', 'would_send', 'text welcome'],
    ]);
    const notes = result.timeline.filter((n) => n.kind === 'action').map((n) => n.detail);
    expect(notes).toEqual([
      `keyword JOIN's response would set tier to "gold" (simulated)`,
      `keyword JOIN's response would add to list "Club" (simulated)`,
      `keyword JOIN's response would set consent to subscribed (simulated)`,
      `keyword JOIN's response would start flow "Other" (not simulated)`,
    ]);
    expect(result.runs).toEqual([
      { startedAtSeconds: 0, endedAtSeconds: 60, endReason: 'end_step' },
    ]);
  });

  it('a keyword without a response changes nothing and starts nothing', async () => {
    const result = await simulateFlow(
      definition(),
      { script: lines([0, 'offers']) },
      deps({ JOIN }),
      START,
    );
    expect(result.messages).toEqual([]);
    expect(result.runs).toEqual([]);
  });

  it('a reply that does not render is failed with the reason; an unsubscribed person gets no reply but the opt-out confirmation', async () => {
    const broken: SimulatedKeywordResponse = {
      actions: [],
      reply: () =>
        Promise.resolve({ ok: false, problems: [{ message: 'template t1 was deleted' }] }),
    };
    const failed = await simulateFlow(
      definition(),
      { script: lines([0, 'JOIN']) },
      deps({ JOIN: broken }),
      START,
    );
    expect(failed.messages).toEqual([
      expect.objectContaining({
        kind: 'reply',
        status: 'failed',
        text: null,
        reason: 'template t1 was deleted',
      }),
    ]);
    const unsubscribed = await simulateFlow(
      definition(),
      { script: lines([0, 'HELP'], [1, 'STOP']), consent: 'unsubscribed' },
      deps({}),
      START,
    );
    expect(unsubscribed.messages.map((m) => [m.text, m.status, m.reason])).toEqual([
      [
        'Club texts. Reply STOP to stop.',
        'suppressed',
        'recipient opted out (consent: unsubscribed)',
      ],
      ['You are unsubscribed.', 'would_send', null],
    ]);
  });
});
