import { expect } from 'vitest';
import type { TestApp } from './app.js';

/** Creates API credentials and returns their id and delivery-report webhook path. */
export async function reportsWebhook(
  t: TestApp,
  name = 'reports',
): Promise<{ id: string; path: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/credentials',
    headers: t.auth,
    payload: { name, baseUrl: 'https://ggx5k8.api.infobip.com', apiKey: 'key-0123456789abcdef' },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ id: string; webhooks: { deliveryReports: { url: string } } }>();
  return { id: body.id, path: new URL(body.webhooks.deliveryReports.url).pathname };
}

/**
 * A v3 report with every field Infobip fills in (the timestamps with an account offset, as the
 * spec's examples have them), for a message id Tern may not know.
 */
export function fullReport(messageId: string, callbackData: string | null = null) {
  return {
    bulkId: '0196a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
    messageId,
    to: '441134960000',
    sender: 'TERN-ALERTS',
    sentAt: '2026-11-25T12:00:00.000+0100',
    doneAt: '2026-11-25T12:00:05.000+0100',
    messageCount: 1,
    mccMnc: '23410',
    callbackData,
    price: { pricePerMessage: 0.0075, currency: 'EUR' },
    status: { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET' },
    error: { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', permanent: false },
    platform: { entityId: 'tern-entity-0001', applicationId: 'tern-app-0001' },
    campaignReferenceId: 'summer-2026-campaign',
  };
}
