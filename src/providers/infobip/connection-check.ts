import { createGuardedDispatcher, type Resolver } from '../../net/guarded-dispatcher.js';
import { createInfobipClient } from './client.js';

/** The outcome of calling the provider with a credential's key ("Verify connection"). */
export interface VerifyOutcome {
  status: 'ok' | 'unauthorized' | 'unreachable' | 'error';
  message: string;
  latencyMs: number;
  httpStatus?: number;
  balance?: { amount: number; currency: string };
}

/**
 * "Verify connection": Infobip's `GET /account/1/balance` with the credential's key, the
 * cheapest authenticated call there is, through the SSRF guard.
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
    const client = createInfobipClient({
      baseUrl: input.baseUrl,
      apiKey: input.apiKey,
      dispatcher,
      headersTimeoutMs: 10_000,
      bodyTimeoutMs: 10_000,
    });
    const result = await client.getBalance();
    const latencyMs = Math.round(result.latencyMs);
    switch (result.kind) {
      case 'ok':
        return {
          status: 'ok',
          message: `Connected: balance ${result.balance} ${result.currency}.`,
          latencyMs,
          httpStatus: 200,
          balance: { amount: result.balance, currency: result.currency },
        };
      case 'rejected':
        return result.httpStatus === 401 || result.httpStatus === 403
          ? {
              status: 'unauthorized',
              message: `Infobip refused the API key: ${result.message}`,
              latencyMs,
              httpStatus: result.httpStatus,
            }
          : {
              status: 'error',
              message: `Infobip answered ${result.httpStatus}: ${result.message}`,
              latencyMs,
              httpStatus: result.httpStatus,
            };
      case 'retryable':
        return {
          status: 'error',
          message: `Infobip is not accepting requests right now: ${result.message}`,
          latencyMs,
          ...(result.httpStatus !== undefined ? { httpStatus: result.httpStatus } : {}),
        };
      case 'network':
        return {
          status: 'unreachable',
          message: `Could not reach ${input.baseUrl}: ${result.message}`,
          latencyMs,
        };
    }
  } finally {
    await dispatcher.close();
  }
}
