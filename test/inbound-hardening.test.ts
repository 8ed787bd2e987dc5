import { expect, it } from 'vitest';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import {
  ALICE,
  countRows,
  createInboundCredential,
  messagesTo,
  moBody,
  moResult,
  postInbound,
  profileOf,
} from './helpers/inbound.js';

/** Issue 12: inbound de-duplication, reply bounds, inbound-number conflicts, double opt-in resends. */
describeEachDialect('inbound hardening', ({ db }) => {
  it('de-duplicates per webhook credential: another tenant cannot pre-claim a message id (row 4)', async () => {
    const t = await buildTestApp(db());
    await t.services.sandboxes.ensure('evil');
    const victim = await createInboundCredential(t);
    const attacker = await createInboundCredential(
      t,
      { apiKey: 'attacker-key-0123456789', inboundNumber: '+14155550190' },
      'evil',
    );
    const stop = moResult(ALICE, 'STOP', { messageId: 'infobip-mo-1' });
    // The attacker posts the id first, to its own URL (unrouted there: not its number).
    const claimed = await postInbound(t, attacker.webhook, moBody(stop));
    expect(claimed.json()).toMatchObject({ received: 1, duplicates: 0, unrouted: 1 });
    // The victim's genuine STOP with the same id is acted on, not dropped as a replay…
    const genuine = await postInbound(t, victim.webhook, moBody(stop));
    expect(genuine.json()).toMatchObject({ processed: 1, duplicates: 0 });
    expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'unsubscribed' });
    // …and Infobip's retry of it to the same URL still is one.
    const retry = await postInbound(t, victim.webhook, moBody(stop));
    expect(retry.json()).toMatchObject({ processed: 0, duplicates: 1 });
    expect(await countRows(db(), 'inbound_messages')).toBe(2);
    expect(await messagesTo(db(), ALICE)).toHaveLength(1);
    await t.app.close();
  });
});
