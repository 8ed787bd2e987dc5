import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HELP_KEYWORDS,
  DEFAULT_OPT_IN_KEYWORDS,
  MANDATORY_OPT_OUT_KEYWORDS,
} from '../credentials/keywords.js';
import { classifyInbound, type KeywordRules } from '../inbound/classify.js';
import { checkDefinition } from './definition-schema.js';
import { shadowedCases } from './shadowed-cases.js';

const rules = (optInKeywords: readonly string[]): KeywordRules => ({
  optOutKeywords: MANDATORY_OPT_OUT_KEYWORDS,
  optInKeywords,
  helpKeywords: DEFAULT_HELP_KEYWORDS,
  doubleOptInKeywords: [],
  customInboundKeywords: ['JOIN'],
  fuzzyOptOut: 'reply',
});

const checked = checkDefinition({
  trigger: { type: 'keyword', credentialId: 'cred-1', keyword: 'JOIN' },
  steps: [
    { id: 'wait', type: 'wait', seconds: 60, untilReply: true },
    {
      id: 'answer',
      type: 'branch',
      cases: [
        { match: { keyword: 'yes' }, goto: 'done' },
        { match: { contains: 'stop' }, goto: 'done' },
        { match: { keyword: 'Size' }, goto: 'done' },
        { match: { keyword: 'help' }, goto: 'done' },
        { match: { keyword: 'stop' }, goto: 'done' },
      ],
    },
    { id: 'done', type: 'end' },
  ],
});

describe('shadowedCases', () => {
  it("names the keyword cases the credential's own keywords take, and why", () => {
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    const found = shadowedCases(checked.definition, (t) =>
      classifyInbound(t, rules(DEFAULT_OPT_IN_KEYWORDS)),
    );
    expect(found.map((c) => [c.path, c.keyword, c.category])).toEqual([
      ['/steps/1/cases/0/match/keyword', 'YES', 'opt_in'],
      ['/steps/1/cases/3/match/keyword', 'HELP', 'help'],
      ['/steps/1/cases/4/match/keyword', 'STOP', 'opt_out'],
    ]);
    expect(found[2]?.message).toBe(
      'STOP is an opt-out keyword for the credential: Tern answers it itself and ends the run waiting for a reply, so branch "answer" never sees it',
    );
  });

  it('leaves YES to the branch on a credential whose opt-in list does not have it', () => {
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    const found = shadowedCases(checked.definition, (t) => classifyInbound(t, rules(['START'])));
    expect(found.map((c) => c.keyword)).toEqual(['HELP', 'STOP']);
  });
});
