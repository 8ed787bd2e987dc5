/**
 * The one place that knows which providers exist: it builds a {@link ProviderClient} for a
 * credential and hands out each provider's webhook parsers. Nothing else imports
 * `providers/<name>/` (eslint.config.js, `no-restricted-imports`).
 */
import type { Dispatcher } from 'undici';
import type { Resolver } from '../net/guarded-dispatcher.js';
import { INFOBIP_LIMITS, InfobipProvider } from './infobip/adapter.js';
import { createInfobipClient } from './infobip/client.js';
import { createReportsPuller } from './infobip/reports-pull.js';
import { INFOBIP_WEBHOOKS } from './infobip/webhooks.js';
import { checkInfobipConnection } from './infobip/connection-check.js';
import type {
  ProviderClient,
  ProviderLimits,
  ProviderWebhooks,
  VerifyOutcome,
} from './provider.js';

export type * from './provider.js';

/** The providers Tern can talk to (`credentials.provider`). */
export type ProviderName = 'infobip';

/** How to reach a provider account. */
export interface ProviderAccount {
  baseUrl: string;
  apiKey: string;
  /** The SSRF-guarded dispatcher shared by the process (not owned by the client). */
  dispatcher: Dispatcher;
}

/** A provider's limits, for the domain's rules (which read them here, not as their own numbers). */
export function providerLimits(provider: ProviderName): ProviderLimits {
  switch (provider) {
    case 'infobip':
      return INFOBIP_LIMITS;
  }
}

/**
 * A provider's webhook parsers: one shared, stateless instance per provider, so the webhook
 * routes allocate nothing per request. Only Infobip's shapes are received so far
 * (`/webhooks/infobip/…`).
 */
export function providerWebhooks(provider: ProviderName): ProviderWebhooks {
  switch (provider) {
    case 'infobip':
      return INFOBIP_WEBHOOKS;
  }
}

/** A provider client for one credential. */
export function providerClient(provider: ProviderName, account: ProviderAccount): ProviderClient {
  switch (provider) {
    case 'infobip':
      return new InfobipProvider(createInfobipClient(account), createReportsPuller(account));
  }
}

/** "Verify connection" for a credential's key, through its own SSRF-guarded dispatcher. */
export function verifyConnection(
  provider: ProviderName,
  input: { baseUrl: string; apiKey: string; allowLoopback: boolean; resolve?: Resolver },
): Promise<VerifyOutcome> {
  switch (provider) {
    case 'infobip':
      return checkInfobipConnection(input);
  }
}
