import { Counter, type Registry } from 'prom-client';
import type { DeliveryCause, DeliveryOutcome } from './webhook-dispatcher.js';

const NAME = 'tern_event_webhook_deliveries_total';

/**
 * `tern_event_webhook_deliveries_total{outcome,cause}`: every delivery attempt to an event
 * webhook. `cause="signing"` counts batches not sent because the signing secret no longer
 * decrypts, an operator's problem the tenants' delivery logs show as well. Labels are fixed
 * lists (no webhook or sandbox ids), so the series stay few.
 */
export function eventWebhookMetrics(registry: Registry): {
  eventWebhookDelivery(outcome: DeliveryOutcome, cause: DeliveryCause): void;
} {
  // One counter per registry, however many dispatchers share it.
  const counter =
    (registry.getSingleMetric(NAME) as Counter<'outcome' | 'cause'> | undefined) ??
    new Counter({
      name: NAME,
      help: 'Event webhook delivery attempts by outcome and cause (none, http, network, timeout, refused, signing)',
      labelNames: ['outcome', 'cause'],
      registers: [registry],
    });
  return { eventWebhookDelivery: (outcome, cause) => counter.inc({ outcome, cause }) };
}
