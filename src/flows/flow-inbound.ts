import type { Clock } from '../clock.js';
import type { Executor } from '../db/executor.js';
import type { FlowInbound, InboundTextContext } from '../inbound/automation.js';
import type { ReplyInfo, RunState } from './definition.js';
import type { FlowEngine } from './flow-engine.js';
import { activeRunsOfPhone, flowsByTrigger, type RunRow } from './flow.repository.js';

/** Whether a run waits for a reply that a text on `credentialId` may give. */
function waitsForReply(run: RunRow, credentialId: string): boolean {
  const state = JSON.parse(run.state) as RunState;
  // Guess: a run started without a credential (a segment, the API) takes a reply on any
  // credential of its sandbox; one started by a text, only on that text's credential.
  return (
    state.waiting?.untilReply === true &&
    (run.credential_id === null || run.credential_id === credentialId)
  );
}

/**
 * The flows' side of an inbound text, inside the text's transaction (src/inbound/automation.ts):
 * STOP ends every run of the number; START, HELP, a double opt-in keyword or a fuzzy opt-out
 * end the runs waiting for its reply; any other text is stored as the reply of the runs waiting
 * for one (the runner hands it over at once: the run is made due), and a custom keyword starts
 * the active flows it triggers.
 */
export class FlowInboundHandler implements FlowInbound {
  constructor(private readonly deps: { clock: Clock; engine: FlowEngine }) {}

  async preempt(trx: Executor, ctx: InboundTextContext): Promise<number> {
    const { engine } = this.deps;
    const runs = await activeRunsOfPhone(trx, ctx.credential.sandbox, ctx.phone);
    const optOut = ctx.category === 'opt_out';
    let ended = 0;
    for (const run of runs) {
      if (optOut) {
        if (await engine.endRun(trx, run, 'opted_out', 'the person texted an opt-out keyword'))
          ended++;
      } else if (waitsForReply(run, ctx.credential.id)) {
        const what = ctx.keyword ? `texted ${ctx.keyword}` : `texted ${ctx.category}`;
        if (
          await engine.endRun(
            trx,
            run,
            'preempted',
            `the person ${what} (${ctx.category}), which is never taken as a reply`,
          )
        )
          ended++;
      }
    }
    return ended;
  }

  async onText(
    trx: Executor,
    ctx: InboundTextContext,
  ): Promise<{ consumed: boolean; started: number }> {
    const { clock, engine } = this.deps;
    const sandbox = ctx.credential.sandbox;
    const now = clock.now().toISOString();
    const reply: ReplyInfo = {
      text: ctx.text.slice(0, 1600),
      inboundMessageId: ctx.inboundMessageId,
      at: now,
    };
    let consumed = false;
    for (const run of await activeRunsOfPhone(trx, sandbox, ctx.phone)) {
      if (!waitsForReply(run, ctx.credential.id)) continue;
      // The first reply wins; the runner hands it over and clears it in the step.
      const stored = await trx
        .updateTable('flow_runs')
        .set({ pending_reply: JSON.stringify(reply), due_at: now, updated_at: now })
        .where('sandbox', '=', sandbox)
        .where('id', '=', run.id)
        .where('status', '=', 'active')
        .where('pending_reply', 'is', null)
        .executeTakeFirst();
      if (Number(stored.numUpdatedRows) === 1) consumed = true;
    }
    let started = 0;
    if (ctx.category === 'custom' && ctx.keyword !== null) {
      const flows = await flowsByTrigger(
        trx,
        sandbox,
        'keyword',
        `${ctx.credential.id}:${ctx.keyword}`,
      );
      for (const flow of flows) {
        const r = await engine.startRun(trx, {
          sandbox,
          flowId: flow.id,
          phone: ctx.phone,
          profileId: ctx.profileId,
          credentialId: ctx.credential.id,
          trigger: `texted ${ctx.keyword}`,
        });
        if (r.started) started++;
      }
    }
    return { consumed, started };
  }
}
