import type { Logger } from '../logger.js';
import { PollLoop } from '../poll-loop.js';
import type { CampaignService } from './campaign.service.js';

/** Sleep between steps when no campaign has fan-out left to do. */
const IDLE_MS = 250;
/** Pause after a failed step (the database away, say). */
const ERROR_PAUSE_MS = 1_000;

/**
 * The campaigns' background loop, in every `tern serve` and `tern worker` process: starts
 * scheduled campaigns when due, fans running ones out chunk after chunk (without sleeping while
 * there is more), finishes and auto-pauses them. Picks up whatever a crashed process left: the
 * progress lives in the campaign rows. Several processes may run it (PostgreSQL): each chunk is
 * guarded by the campaign's progress, so only one of them does it.
 */
export function startCampaignRunner(
  campaigns: CampaignService,
  logger: Logger,
): { stop(): Promise<void> } {
  const loop = new PollLoop(
    async () => {
      if (!(await campaigns.runDue())) return IDLE_MS;
      // On SQLite a step never waits for I/O (better-sqlite3 is synchronous), so going again at
      // once would run the whole fan-out in microtasks: no timer or socket got a turn, the API
      // and the send worker stood still, and the first message left after the last chunk
      // (6.2 s for 100,000 recipients, bench/campaign.ts). One macrotask turn between chunks.
      await new Promise((resolve) => setImmediate(resolve));
      return 0;
    },
    (error) => logger.error({ err: error }, 'campaign runner: step failed'),
    ERROR_PAUSE_MS,
  );
  loop.start();
  return { stop: () => loop.stop() };
}
