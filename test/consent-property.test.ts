import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { phoneHash } from '../src/profiles/consent.js';
import { describeEachDialect } from './helpers/databases.js';
import { INBOUND, expectLedgerReconstructsProfiles, moBody, moResult } from './helpers/inbound.js';
import { startSendingStack, type SendingStack } from './helpers/sending.js';

/**
 * Issue 6's invariant, by property: whatever happens to a few numbers — keywords texted in
 * through the real inbound webhook, consent set through the API, sends through the API, and
 * worker passes against the simulator — no message other than the opt-out confirmation is
 * handed to the provider for a number whose latest consent ledger entry, when the provider is
 * called, is an opt-out. Steps run one after another, so "when the provider is called" is the
 * worker pass in which the simulator received the request; the ledger cannot change during it.
 */

const KEYWORDS = ['STOP', ' stop. ', 'START', 'HELP', 'JOIN', 'OFFERS', 'hello there', 'zzz?!'];

type Step =
  | { kind: 'text'; who: number; body: string }
  | { kind: 'consent'; who: number; consent: 'subscribed' | 'unsubscribed' }
  | { kind: 'send'; who: number; messageType: 'marketing' | 'transactional' }
  | { kind: 'pump' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('text' as const),
      who: fc.nat(2),
      body: fc.constantFrom(...KEYWORDS),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('consent' as const),
      who: fc.nat(2),
      consent: fc.constantFrom('subscribed' as const, 'unsubscribed' as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      who: fc.nat(2),
      messageType: fc.constantFrom('marketing' as const, 'transactional' as const),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'pump' as const }) },
);

/**
 * Random steps, then number 0 subscribes and texts STOP: the final worker pass always hands the
 * provider an opt-out reply for a number whose ledger says unsubscribed, so every run meets the
 * property's precondition (random steps alone met it in most runs, not all: the counts below
 * were 0 now and then, failing the test).
 */
const stepsEndingInOptOut: fc.Arbitrary<Step[]> = fc
  .array(step, { minLength: 0, maxLength: 23 })
  .map((steps) => [
    ...steps,
    { kind: 'consent', who: 0, consent: 'subscribed' },
    { kind: 'text', who: 0, body: 'STOP' },
  ]);

/** The `to_state` of each number's latest ledger entry (none: never changed). */
async function latestLedgerStates(
  db: Db,
  phones: readonly string[],
): Promise<Map<string, string | undefined>> {
  const result = new Map<string, string | undefined>();
  for (const phone of phones) {
    const last = await db.kysely
      .selectFrom('consent_events')
      .select(['to_state'])
      .where('sandbox', '=', 'prod')
      .where('phone_hash', '=', phoneHash(phone))
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    result.set(phone, last?.to_state);
  }
  return result;
}

type SmsBody = { messages: { destinations: { to: string; messageId: string }[] }[] };

/** Every destination handed to the provider in requests[from..]. */
function providerCalls(s: SendingStack, from: number) {
  return s.sim
    .requests()
    .slice(from)
    .filter((r) => r.method === 'POST' && /^\/(sms|mms)\//.test(r.path))
    .flatMap((r) => (r.body as SmsBody).messages.flatMap((m) => m.destinations));
}

describeEachDialect('consent property', ({ db }) => {
  it('never hands the provider a message (but the opt-out reply) for an opted-out number', async () => {
    const s = await startSendingStack(db(), {
      credential: {
        inboundNumber: INBOUND,
        doubleOptInKeywords: 'JOIN',
        customInboundKeywords: 'OFFERS',
        defaultInboundReply: 'Thanks, we got it.',
        // Every STOP gets its reply: the property is about what reaches the provider.
        fuzzyOptOut: 'opt-out',
      },
    });
    try {
      const credential = await s.t.app.inject({
        url: `/api/v1/credentials/${s.credentialId}`,
        headers: s.t.auth,
      });
      const webhook = new URL(
        credential.json<{ webhooks: { inbound: { url: string } } }>().webhooks.inbound.url,
      ).pathname;
      let run = 0;
      let checked = 0;
      let toOptedOut = 0;

      await fc.assert(
        fc.asyncProperty(stepsEndingInOptOut, async (steps) => {
          // Fresh numbers each run: runs share the database but never a number.
          run += 1;
          const phones = [0, 1, 2].map((i) => `+1415556${String(run).padStart(3, '0')}${i}`);
          for (const current of [...steps, { kind: 'pump' as const }]) {
            const before = s.sim.requests().length;
            if (current.kind === 'text') {
              const res = await s.t.app.inject({
                method: 'POST',
                url: webhook,
                payload: moBody(moResult(phones[current.who]!, current.body)),
              });
              expect(res.statusCode, res.body).toBe(200);
            } else if (current.kind === 'consent') {
              const res = await s.t.app.inject({
                method: 'PUT',
                url: `/api/v1/profiles/${encodeURIComponent(phones[current.who]!)}/consent`,
                headers: s.t.auth,
                payload: { consent: current.consent, note: 'property test' },
              });
              expect(res.statusCode, res.body).toBe(200);
            } else if (current.kind === 'send') {
              const res = await s.t.app.inject({
                method: 'POST',
                url: '/api/v1/messages',
                headers: s.t.auth,
                payload: {
                  channelConfigurationId: s.smsChannelId,
                  to: phones[current.who],
                  text: 'Hello from the property test',
                  messageType: current.messageType,
                },
              });
              // Accepted (queued or suppressed) or refused for consent: never a server error.
              expect(res.statusCode, res.body).toBeLessThan(500);
            } else {
              const ledger = await latestLedgerStates(db(), phones);
              await s.pump();
              for (const { to, messageId } of providerCalls(s, before)) {
                const phone = `+${to.replace(/^\+/, '')}`;
                const message = await db()
                  .kysely.selectFrom('messages')
                  .select(['origin'])
                  .where('id', '=', messageId)
                  .executeTakeFirstOrThrow();
                checked += 1;
                if (ledger.get(phone) === 'unsubscribed') {
                  toOptedOut += 1;
                  expect(message.origin, `${messageId} to opted-out ${phone}`).toBe(
                    'opt_out_reply',
                  );
                }
              }
              continue;
            }
            // Only worker passes call the provider.
            expect(providerCalls(s, before)).toEqual([]);
          }
        }),
        { numRuns: 15 },
      );
      // Every run reached the provider with at least its final opt-out reply.
      expect(checked).toBeGreaterThanOrEqual(run);
      expect(toOptedOut).toBeGreaterThanOrEqual(run);
      await expectLedgerReconstructsProfiles(db());
    } finally {
      await s.close();
    }
  }, 30_000);
});
