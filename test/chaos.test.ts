import { describe, expect, it } from 'vitest';
import { formatCounts, runChaos } from '../bench/lib/chaos.js';
import { POSTGRES_URL } from './helpers/databases.js';

/**
 * The chaos run of `bench/chaos.ts`, shortened: `tern serve` as a child process under batch
 * sends, inbound texts (STOP/START among them) and delivery reports, SIGKILLed 4 times at random
 * moments and restarted; then nothing acknowledged is lost or left unfinished, no opted-out
 * number is sent to, and the provider holds no duplicate.
 */
const KILLS = 4;

describe('chaos: SIGKILL at random moments under a mixed load', () => {
  const dialects = ['sqlite' as const, ...(POSTGRES_URL ? ['postgres' as const] : [])];
  for (const dialect of dialects) {
    it(
      `${dialect}: every acknowledged message and text survives ${KILLS} kills`,
      { timeout: 240_000 },
      async () => {
        const counts = await runChaos({
          dialect,
          kills: KILLS,
          ...(POSTGRES_URL ? { postgresUrl: POSTGRES_URL } : {}),
          upMs: [300, 2500],
          settleTimeoutMs: 60_000,
        });
        console.log(formatCounts([counts]));
        expect(counts.kills).toBe(KILLS);
        // The load really ran through the kills.
        expect(counts.messages.acknowledged).toBeGreaterThan(200);
        expect(counts.batchRequests.failed).toBeGreaterThan(0);
        expect(counts.inbound.acknowledged).toBeGreaterThan(20);
        expect(counts.consent.optOutEvents).toBeGreaterThan(0);
        expect(counts.provider.messages).toBeGreaterThan(0);
        // Nothing acknowledged is lost or left unfinished.
        expect(counts.messages.missing).toBe(0);
        expect(counts.messages.notFinal).toBe(0);
        expect(counts.inbound.acknowledged).toBe(counts.inbound.posted);
        expect(counts.inbound.missing).toBe(0);
        expect(counts.inbound.stored).toBe(counts.inbound.posted);
        // The provider and Tern agree; opt-outs hold; reconciliation leaves no duplicate.
        expect(counts.provider.pendingReports).toBe(0);
        expect(counts.provider.contradictions).toEqual([]);
        expect(counts.consent.details.filter((d) => !d.startsWith('racing'))).toEqual([]);
        expect(counts.provider.duplicateExplanations).toEqual([]);
      },
    );
  }
});
