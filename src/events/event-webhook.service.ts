import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import { recordAudit, urlHostName } from '../audit/audit.js';
import { SYSTEM_ACTOR, type Actor } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import type { Keyring } from '../crypto/secret-box.js';
import type { Db } from '../db/database.js';
import { decodeCursor, toPage, type Page } from '../db/pagination.js';
import type { EventWebhookDeliveriesTable, EventWebhooksTable } from '../db/schema.js';
import { AppError, staleVersionError } from '../errors.js';
import { newId } from '../ids.js';
import { latestEventId, type EventType } from './events.js';
import { checkWebhookUrl } from './webhook-url.js';

export const EVENT_TYPES: readonly EventType[] = [
  'inbound.received',
  'consent.changed',
  'profile.keyword',
  'profile.deleted',
  'profile.updated',
  'double_opt_in.requested',
  'double_opt_in.expired',
  'message.status_changed',
  'message.held',
  'message.released',
  'segment.entered',
  'segment.left',
  'campaign.started',
  'campaign.paused',
  'campaign.resumed',
  'campaign.completed',
  'campaign.cancelled',
  'flow.run.started',
  'flow.run.ended',
  'flow.webhook',
  'approval.requested',
  'approval.decided',
];

/** An event webhook as the API shows it (never with its secret, except once on create). */
export interface EventWebhook {
  id: string;
  sandbox: string;
  url: string;
  /** Event types delivered; null for all. */
  types: EventType[] | null;
  description: string | null;
  enabled: boolean;
  /** Failed attempts at the batch now pending; 0 when healthy. */
  failedAttempts: number;
  nextAttemptAt: string | null;
  lastDeliveryAt: string | null;
  lastDeliveryStatus: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface EventWebhookDelivery {
  id: string;
  webhookId: string;
  at: string;
  attempt: number;
  outcome: 'succeeded' | 'failed' | 'gave_up';
  httpStatus: number | null;
  error: string | null;
  durationMs: number;
  eventCount: number;
  firstEventId: string | null;
  lastEventId: string | null;
  nextAttemptAt: string | null;
}

export interface EventWebhookInput {
  url?: string;
  types?: string[] | null;
  description?: string | null;
  enabled?: boolean;
}

export type EventWebhookRow = Selectable<EventWebhooksTable>;

export function webhookFromRow(row: EventWebhookRow): EventWebhook {
  return {
    id: row.id,
    sandbox: row.sandbox,
    url: row.url,
    types: row.types === null ? null : (JSON.parse(row.types) as EventType[]),
    description: row.description,
    enabled: row.enabled === 1,
    failedAttempts: row.attempts,
    nextAttemptAt: row.attempts > 0 ? row.next_attempt_at : null,
    lastDeliveryAt: row.last_delivery_at,
    lastDeliveryStatus: row.last_delivery_status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

function deliveryFromRow(row: Selectable<EventWebhookDeliveriesTable>): EventWebhookDelivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    at: row.at,
    attempt: row.attempt,
    outcome: row.outcome as EventWebhookDelivery['outcome'],
    httpStatus: row.http_status,
    error: row.error,
    durationMs: row.duration_ms,
    eventCount: row.event_count,
    firstEventId: row.first_event_id,
    lastEventId: row.last_event_id,
    nextAttemptAt: row.next_attempt_at,
  };
}

export interface EventWebhookServiceDeps {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  allowLoopback: boolean;
}

/** `/api/v1/event-webhooks`: registration of the URLs the dispatcher delivers events to. */
export class EventWebhookService {
  constructor(private readonly deps: EventWebhookServiceDeps) {}

  private validate(input: EventWebhookInput, creating: boolean) {
    const problems: { path: string; message: string }[] = [];
    let url: string | undefined;
    if (input.url !== undefined) {
      const checked = checkWebhookUrl(input.url, { allowLoopback: this.deps.allowLoopback });
      if (checked.ok) url = checked.url;
      else for (const message of checked.problems) problems.push({ path: '/body/url', message });
    } else if (creating) {
      problems.push({ path: '/body/url', message: 'is required' });
    }
    if (input.types) {
      if (input.types.length === 0) {
        problems.push({
          path: '/body/types',
          message: 'must name at least one event type; use null for every type',
        });
      }
      input.types.forEach((type, i) => {
        if (!EVENT_TYPES.includes(type as EventType)) {
          problems.push({
            path: `/body/types/${i}`,
            message: `is not an event type (one of ${EVENT_TYPES.join(', ')})`,
          });
        }
      });
    }
    if (problems.length > 0) {
      throw new AppError('validation_failed', 'The event webhook is not valid.', problems);
    }
    const types =
      input.types === undefined
        ? undefined
        : input.types === null
          ? null
          : JSON.stringify([...new Set(input.types)]);
    return { url, types };
  }

  /** Creates a webhook that receives events from now on; returns it with its secret (shown once). */
  async create(
    sandbox: string,
    input: EventWebhookInput,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<{ webhook: EventWebhook; secret: string }> {
    const { url, types } = this.validate(input, true);
    const now = this.deps.clock.now().toISOString();
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const db = this.deps.db.kysely;
    const row: EventWebhookRow = {
      sandbox,
      id: newId(),
      url: url!,
      types: types ?? null,
      description: input.description ?? null,
      enabled: input.enabled === false ? 0 : 1,
      secret_encrypted: this.deps.keyring.encrypt(secret),
      // Events from now on: older ones are not replayed to a new URL.
      cursor: (await latestEventId(db, sandbox)) ?? '',
      attempts: 0,
      next_attempt_at: now,
      lease_owner: null,
      lease_expires_at: null,
      last_delivery_at: null,
      last_delivery_status: null,
      created_at: now,
      updated_at: now,
      version: 1,
    };
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('event_webhooks').values(row).execute();
      // Named by its host only: a receiver's URL path or query often carries its own secret.
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'event_webhook.created',
        resourceType: 'event_webhook',
        resourceId: row.id,
        resourceName: urlHostName(row.url),
        fields: Object.keys(input),
      });
    });
    return { webhook: webhookFromRow(row), secret };
  }

  private async row(sandbox: string, id: string): Promise<EventWebhookRow> {
    const row = await this.deps.db.kysely
      .selectFrom('event_webhooks')
      .selectAll()
      .where('sandbox', '=', sandbox)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `No event webhook ${id} in this sandbox.`);
    return row;
  }

  async get(sandbox: string, id: string): Promise<EventWebhook> {
    return webhookFromRow(await this.row(sandbox, id));
  }

  async list(
    sandbox: string,
    query: { cursor?: string; limit: number },
  ): Promise<Page<EventWebhook>> {
    const after = decodeCursor(query.cursor);
    let select = this.deps.db.kysely
      .selectFrom('event_webhooks')
      .selectAll()
      .where('sandbox', '=', sandbox);
    if (after) select = select.where('id', '>', after);
    const rows = await select
      .orderBy('id')
      .limit(query.limit + 1)
      .execute();
    return toPage(rows, query.limit, webhookFromRow);
  }

  async update(
    sandbox: string,
    id: string,
    input: EventWebhookInput,
    expectedVersion: number | undefined,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<EventWebhook> {
    const current = await this.row(sandbox, id);
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw staleVersionError('event webhook', current.version);
    }
    const { url, types } = this.validate(input, false);
    const changes = {
      ...(url !== undefined ? { url } : {}),
      ...(types !== undefined ? { types } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled ? 1 : 0 } : {}),
    };
    if (Object.keys(changes).length === 0) return webhookFromRow(current);
    const now = this.deps.clock.now().toISOString();
    // A new URL or a re-enabled webhook gets the pending batch at once, with fresh attempts.
    const retryNow =
      (url !== undefined && url !== current.url) || (input.enabled === true && !current.enabled);
    const updated = await this.deps.db.kysely.transaction().execute(async (trx) => {
      const written = await trx
        .updateTable('event_webhooks')
        .set({
          ...changes,
          ...(retryNow ? { attempts: 0, next_attempt_at: now } : {}),
          updated_at: now,
          version: current.version + 1,
        })
        .where('sandbox', '=', sandbox)
        .where('id', '=', id)
        .where('version', '=', current.version)
        .returningAll()
        .executeTakeFirst();
      if (written) {
        await recordAudit(trx, this.deps.clock, {
          sandbox,
          actor,
          action: 'event_webhook.updated',
          resourceType: 'event_webhook',
          resourceId: id,
          resourceName: urlHostName(written.url),
          fields: Object.keys(changes),
          ...(url !== undefined && url !== current.url
            ? { details: { fromHost: urlHostName(current.url) } }
            : {}),
        });
      }
      return written;
    });
    if (!updated) throw staleVersionError('event webhook');
    return webhookFromRow(updated);
  }

  /** Deletes a webhook and its delivery log. */
  async delete(sandbox: string, id: string, actor: Actor = SYSTEM_ACTOR): Promise<void> {
    const { url } = await this.row(sandbox, id);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'event_webhook.deleted',
        resourceType: 'event_webhook',
        resourceId: id,
        resourceName: urlHostName(url),
        fields: [],
      });
      await trx
        .deleteFrom('event_webhook_deliveries')
        .where('sandbox', '=', sandbox)
        .where('webhook_id', '=', id)
        .execute();
      await trx
        .deleteFrom('event_webhooks')
        .where('sandbox', '=', sandbox)
        .where('id', '=', id)
        .execute();
    });
  }

  /** The webhook's delivery attempts, newest first. */
  async deliveries(
    sandbox: string,
    id: string,
    query: { cursor?: string; limit: number },
  ): Promise<Page<EventWebhookDelivery>> {
    await this.row(sandbox, id);
    const before = decodeCursor(query.cursor);
    let select = this.deps.db.kysely
      .selectFrom('event_webhook_deliveries')
      .selectAll()
      .where('sandbox', '=', sandbox)
      .where('webhook_id', '=', id);
    if (before) select = select.where('id', '<', before);
    const rows = await select
      .orderBy('id', 'desc')
      .limit(query.limit + 1)
      .execute();
    return toPage(rows, query.limit, deliveryFromRow);
  }
}
