import { randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/audit.js';
import type { Actor } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import type { Keyring } from '../crypto/secret-box.js';
import type { Db } from '../db/database.js';
import { isUniqueViolation } from '../db/dialect.js';
import type { Executor } from '../db/executor.js';
import type { Page } from '../db/pagination.js';
import { AppError, staleVersionError } from '../errors.js';
import { newId } from '../ids.js';
import type { ProviderUrlPolicy } from '../net/provider-url.js';
import type { VerifyOutcome } from '../providers/provider.js';
import {
  maskApiKey,
  type Credential,
  type CredentialInput,
  type CredentialSettings,
} from './credential.js';
import {
  deleteCredentialRow,
  findCredential,
  findInboundNumberOwner,
  insertCredential,
  listCredentials,
  markProviderAuthFailed,
  setInboundNumber,
  updateCredential,
  type StoredCredential,
} from './credential.repository.js';
import { wholeHours } from '../messages/validity.js';
import { validateCredential } from './credential.rules.js';
import { clearProviderHealth, UNKNOWN_HEALTH, type CredentialHealth } from './credential-health.js';
import { publicUrlWarnings, type PublicUrlWarning } from './public-url-check.js';

/** The two secrets in the webhook URLs Tern gives Infobip. */
export interface WebhookSecrets {
  inbound: string;
  reports: string;
}

/** A credential as the API shows it: the key masked, the webhook URLs to paste into Infobip. */
export interface CredentialView extends Credential {
  /** The older whole-hours form of `validityPeriod`; null when that is not whole hours. */
  validityPeriodHours: number | null;
  webhooks: {
    inbound: { url: string; secret: string };
    deliveryReports: { url: string; secret: string };
  };
  health: CredentialHealth;
  /** What stops Infobip reaching the webhook URLs (a real Infobip host, TERN_PUBLIC_URL local or http). */
  warnings: PublicUrlWarning[];
}

export interface CredentialServiceDeps {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  publicUrl: string;
  urlPolicy: ProviderUrlPolicy;
  /** Calls the provider's balance endpoint with the given key. */
  checkConnection: (baseUrl: string, apiKey: string) => Promise<VerifyOutcome>;
}

/** Names of the settings whose value differs (for the audit log). */
function changedFields(before: CredentialSettings, after: CredentialSettings): string[] {
  return (Object.keys(after) as (keyof CredentialSettings)[]).filter(
    (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
  );
}

function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** API credentials: validation, encryption of the key, optimistic concurrency, audit. */
export class CredentialService {
  constructor(private readonly deps: CredentialServiceDeps) {}

  view(stored: StoredCredential): CredentialView {
    const secrets = this.webhookSecrets(stored);
    const base = `${this.deps.publicUrl}/webhooks/infobip/${stored.credential.id}`;
    return {
      ...stored.credential,
      health: stored.health,
      warnings: publicUrlWarnings(this.deps.publicUrl, stored.credential.baseUrl),
      validityPeriodHours: wholeHours(stored.credential.validityPeriod),
      webhooks: {
        inbound: { url: `${base}/inbound/${secrets.inbound}`, secret: secrets.inbound },
        deliveryReports: { url: `${base}/reports/${secrets.reports}`, secret: secrets.reports },
      },
    };
  }

  webhookSecrets(stored: StoredCredential): WebhookSecrets {
    return JSON.parse(this.deps.keyring.decrypt(stored.webhookSecretsEncrypted)) as WebhookSecrets;
  }

  /** The decrypted API key, for the provider client only: never returned by the API. */
  apiKey(stored: StoredCredential): string {
    return this.deps.keyring.decrypt(stored.apiKeyEncrypted);
  }

  async get(sandbox: string, id: string): Promise<StoredCredential> {
    const stored = await findCredential(this.deps.db.kysely, sandbox, id);
    if (!stored) throw new AppError('not_found', `No API credential ${id} in this sandbox.`);
    return stored;
  }

  async list(
    sandbox: string,
    query: { name?: string; cursor?: string; limit: number },
  ): Promise<Page<Credential & { health: CredentialHealth; warnings: PublicUrlWarning[] }>> {
    const page = await listCredentials(this.deps.db.kysely, sandbox, query);
    return {
      ...page,
      items: page.items.map((c) => ({
        ...c,
        warnings: publicUrlWarnings(this.deps.publicUrl, c.baseUrl),
      })),
    };
  }

  async create(sandbox: string, actor: Actor, input: CredentialInput): Promise<StoredCredential> {
    const { settings, apiKey, problems } = validateCredential(
      input,
      undefined,
      this.deps.urlPolicy,
    );
    if (problems.length > 0 || apiKey === undefined) {
      throw new AppError('validation_failed', 'The API credential is not valid.', problems);
    }
    const now = this.deps.clock.now().toISOString();
    const credential: Credential = {
      ...settings,
      id: newId(),
      sandbox,
      apiKeyHint: maskApiKey(apiKey),
      providerAuthFailedAt: null,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    const stored: StoredCredential = {
      credential,
      health: UNKNOWN_HEALTH,
      apiKeyEncrypted: this.deps.keyring.encrypt(apiKey),
      webhookSecretsEncrypted: this.deps.keyring.encrypt(
        JSON.stringify({ inbound: newSecret(), reports: newSecret() } satisfies WebhookSecrets),
      ),
    };
    await this.write(credential.id, settings, async (trx) => {
      await insertCredential(trx, stored);
      await setInboundNumber(trx, sandbox, credential.id, credential.inboundNumber);
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'credential.created',
        resourceType: 'credential',
        resourceId: credential.id,
        resourceName: credential.name,
        fields: [...Object.keys(settings), 'apiKey'],
      });
    });
    return stored;
  }

  /** What `update` would refuse the change for now (404, 400), without changing anything. */
  async checkUpdate(sandbox: string, id: string, input: CredentialInput): Promise<void> {
    this.validated(input, (await this.get(sandbox, id)).credential);
  }

  private validated(input: CredentialInput, before: Credential) {
    const { problems, ...valid } = validateCredential(input, before, this.deps.urlPolicy);
    if (problems.length > 0)
      throw new AppError('validation_failed', 'The API credential is not valid.', problems);
    return valid;
  }

  /** Applies a partial update. `expectedVersion` (from If-Match) guards against lost updates. */
  async update(
    sandbox: string,
    actor: Actor,
    id: string,
    input: CredentialInput,
    expectedVersion: number | undefined,
  ): Promise<StoredCredential> {
    const current = await this.get(sandbox, id);
    const before = current.credential;
    if (expectedVersion !== undefined && expectedVersion !== before.version) {
      throw staleVersionError('API credential', before.version);
    }
    const { settings, apiKey } = this.validated(input, before);

    const fields = changedFields(before, settings);
    if (apiKey !== undefined) fields.push('apiKey');
    if (fields.length === 0) return current;

    const credential: Credential = {
      ...before,
      ...settings,
      apiKeyHint: apiKey !== undefined ? maskApiKey(apiKey) : before.apiKeyHint,
      providerAuthFailedAt: apiKey !== undefined ? null : before.providerAuthFailedAt,
      updatedAt: this.deps.clock.now().toISOString(),
      version: before.version + 1,
    };
    const newKey =
      apiKey !== undefined
        ? { encrypted: this.deps.keyring.encrypt(apiKey), hint: credential.apiKeyHint }
        : undefined;
    // The recorded health described the old base URL or key: the next provider call tells anew.
    const newHealth = apiKey !== undefined || credential.baseUrl !== before.baseUrl;
    await this.write(id, settings, async (trx) => {
      if (!(await updateCredential(trx, credential, before.version, newKey)))
        throw staleVersionError('API credential');
      if (credential.inboundNumber !== before.inboundNumber) {
        await setInboundNumber(trx, sandbox, id, credential.inboundNumber);
      }
      if (newHealth) await clearProviderHealth(trx, sandbox, id);
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'credential.updated',
        resourceType: 'credential',
        resourceId: id,
        resourceName: credential.name,
        fields,
      });
    });
    return {
      credential,
      health: newHealth ? UNKNOWN_HEALTH : current.health,
      apiKeyEncrypted: newKey?.encrypted ?? current.apiKeyEncrypted,
      webhookSecretsEncrypted: current.webhookSecretsEncrypted,
    };
  }

  /**
   * Deletes a credential. While channel configurations use it, refuses with 409 naming them,
   * unless `force`, which deletes those configurations too. Message history is kept.
   */
  async delete(
    sandbox: string,
    actor: Actor,
    id: string,
    force: boolean,
  ): Promise<{ deletedChannelConfigurations: string[] }> {
    const { name } = (await this.get(sandbox, id)).credential;
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const dependents = await trx
        .selectFrom('channel_configurations')
        .select(['id', 'name'])
        .where('sandbox', '=', sandbox)
        .where('credential_id', '=', id)
        .orderBy('name')
        .execute();
      if (dependents.length > 0 && !force) {
        throw new AppError(
          'conflict',
          `The API credential is used by ${dependents.length} channel configuration(s); delete them first or use ?force=true.`,
          dependents.map((d) => ({
            path: '/channelConfigurations',
            message: `used by "${d.name}"`,
            id: d.id,
            name: d.name,
          })),
        );
      }
      for (const dependent of dependents) {
        await trx
          .deleteFrom('channel_configurations')
          .where('sandbox', '=', sandbox)
          .where('id', '=', dependent.id)
          .execute();
        await recordAudit(trx, this.deps.clock, {
          sandbox,
          actor,
          action: 'channel_configuration.deleted',
          resourceType: 'channel_configuration',
          resourceId: dependent.id,
          resourceName: dependent.name,
          fields: [],
          details: { reason: `credential ${id} deleted with force` },
        });
      }
      await setInboundNumber(trx, sandbox, id, null);
      await deleteCredentialRow(trx, sandbox, id);
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'credential.deleted',
        resourceType: 'credential',
        resourceId: id,
        resourceName: name,
        fields: [],
        ...(dependents.length > 0
          ? { details: { forced: true, deletedChannelConfigurations: dependents.map((d) => d.id) } }
          : {}),
      });
      return { deletedChannelConfigurations: dependents.map((d) => d.id) };
    });
  }

  /** Calls the provider with the stored key and records the outcome in the audit log. */
  async verify(sandbox: string, actor: Actor, id: string): Promise<VerifyOutcome> {
    const stored = await this.get(sandbox, id);
    const outcome = await this.deps.checkConnection(stored.credential.baseUrl, this.apiKey(stored));
    // A key short of some scopes is still a good key: only a 401 says otherwise.
    const keyAccepted = outcome.status === 'ok' || outcome.status === 'missing_scope';
    if (keyAccepted && stored.credential.providerAuthFailedAt !== null) {
      await markProviderAuthFailed(this.deps.db.kysely, sandbox, id, null);
    }
    await recordAudit(this.deps.db.kysely, this.deps.clock, {
      sandbox,
      actor,
      action: 'credential.verified',
      resourceType: 'credential',
      resourceId: id,
      resourceName: stored.credential.name,
      fields: [],
      details: {
        status: outcome.status,
        httpStatus: outcome.httpStatus ?? null,
        latencyMs: outcome.latencyMs,
      },
    });
    return outcome;
  }

  /** Runs a write in a transaction, turning unique violations into 409s that name the field. */
  private async write(
    id: string,
    settings: CredentialSettings,
    work: (trx: Executor) => Promise<void>,
  ): Promise<void> {
    try {
      await this.deps.db.kysely.transaction().execute(work);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const owner = settings.inboundNumber
        ? await findInboundNumberOwner(this.deps.db.kysely, settings.inboundNumber)
        : undefined;
      // One answer wherever the holder is (this sandbox or another), naming no one: a tenant
      // learns only that the number is not free (issue 12 row 22; README says the remedy).
      if (owner && owner.credentialId !== id) {
        throw new AppError('conflict', 'This inbound number is not available.', [
          {
            path: '/inboundNumber',
            message:
              'is not available: an inbound number routes texts to one API credential only; ask the operator to release it',
          },
        ]);
      }
      throw new AppError(
        'conflict',
        `An API credential named "${settings.name}" already exists in this sandbox.`,
        [{ path: '/name', message: 'is taken in this sandbox' }],
      );
    }
  }
}
