import { createGuardedDispatcher, type Resolver } from '../../net/guarded-dispatcher.js';
import type { VerifyOutcome } from '../provider.js';
import { InfobipProvider } from './adapter.js';
import { createInfobipClient } from './client.js';
import { createReportsPuller } from './reports-pull.js';

/**
 * "Verify connection" with a credential's key, through the SSRF guard: one least-privilege
 * check per scope Tern uses (see `adapter.ts`), never `GET /account/1/balance` (that needs
 * `account-management:manage`, the scope that also manages API keys).
 */
export async function checkInfobipConnection(input: {
  baseUrl: string;
  apiKey: string;
  allowLoopback: boolean;
  /** The resolver behind the SSRF guard; the system's unless a test injects one. */
  resolve?: Resolver;
}): Promise<VerifyOutcome> {
  const dispatcher = createGuardedDispatcher({
    allowLoopback: input.allowLoopback,
    connectTimeoutMs: 5000,
    ...(input.resolve ? { resolve: input.resolve } : {}),
  });
  try {
    const options = {
      baseUrl: input.baseUrl,
      apiKey: input.apiKey,
      dispatcher,
      headersTimeoutMs: 10_000,
      bodyTimeoutMs: 10_000,
    };
    const provider = new InfobipProvider(
      createInfobipClient(options),
      createReportsPuller(options),
    );
    const outcome = await provider.verify();
    return outcome.status === 'unreachable'
      ? { ...outcome, message: `Could not reach ${input.baseUrl}: ${outcome.message}` }
      : outcome;
  } finally {
    await dispatcher.close();
  }
}

// The domain reads the type from the contract; kept here for callers not yet moved.
export type { VerifyOutcome } from '../provider.js';
