import type { InboundCategory } from '../inbound/classify.js';
import type { FlowDefinition } from './definition.js';

/**
 * Branch cases a run can never take on a given credential: their keyword is one of the
 * credential's opt-out, opt-in, help or double opt-in keywords, and the inbound engine answers
 * those itself and ends the waiting run (it never hands them over as a reply). YES is a
 * default opt-in keyword, so "reply YES" flows meet this first.
 */

export interface ShadowedCase {
  /** The case's keyword, under the definition: `/steps/2/cases/0/match/keyword`. */
  path: string;
  stepId: string;
  keyword: string;
  category: InboundCategory;
  /** A sentence for people. */
  message: string;
}

// The categories the engine never gives to a flow as a reply (FlowInbound.preempt).
const NEVER_A_REPLY: Partial<Record<InboundCategory, string>> = {
  opt_out: 'an opt-out keyword',
  opt_in: 'an opt-in keyword',
  help: 'a help keyword',
  double_opt_in: 'a double opt-in keyword',
  fuzzy_opt_out: 'an opt-out in other words',
};

/** The cases of `definition` whose keyword `classify` (the credential's rules) takes for itself. */
export function shadowedCases(
  definition: FlowDefinition,
  classify: (text: string) => { category: InboundCategory; keyword: string | null },
): ShadowedCase[] {
  const found: ShadowedCase[] = [];
  definition.steps.forEach((step, i) => {
    if (step.type !== 'branch') return;
    step.cases.forEach((c, k) => {
      if (!('keyword' in c.match)) return;
      const keyword = c.match.keyword;
      const { category } = classify(keyword);
      const what = NEVER_A_REPLY[category];
      if (what === undefined) return;
      found.push({
        path: `/steps/${i}/cases/${k}/match/keyword`,
        stepId: step.id,
        keyword,
        category,
        message: `${keyword} is ${what} for the credential: Tern answers it itself and ends the run waiting for a reply, so branch "${step.id}" never sees it`,
      });
    });
  });
  return found;
}
