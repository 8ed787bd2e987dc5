import type { Selectable } from 'kysely';
import { nameContains } from '../db/search.js';
import type { Executor } from '../db/executor.js';
import { decodeCursor, toPage, type Page } from '../db/pagination.js';
import type { CredentialsTable } from '../db/schema.js';
import { validityFromStored } from '../messages/validity.js';
import type { Credential, CredentialSettings } from './credential.js';
import { healthFromRow, type CredentialHealth } from './credential-health.js';

/** A credential row with its secrets still encrypted. */
export interface StoredCredential {
  credential: Credential;
  /** What the last provider calls with its key met (written by the worker, not by edits). */
  health: CredentialHealth;
  apiKeyEncrypted: string;
  webhookSecretsEncrypted: string;
}

type Row = Selectable<CredentialsTable>;

/** Settings kept as columns (for uniqueness and lookups) rather than in the JSON blob. */
type ColumnSettings = 'name' | 'provider' | 'baseUrl' | 'inboundNumber';

function fromRow(row: Row): StoredCredential {
  const settings = JSON.parse(row.settings) as Omit<CredentialSettings, ColumnSettings> & {
    validityPeriodHours?: number;
  };
  const { validityPeriodHours, ...rest } = settings;
  return {
    credential: {
      ...rest,
      // Stored before minutes were allowed: whole hours only.
      validityPeriod: validityFromStored(settings.validityPeriod, validityPeriodHours),
      dltTelemarketerId: settings.dltTelemarketerId ?? null,
      id: row.id,
      sandbox: row.sandbox,
      name: row.name,
      provider: 'infobip',
      baseUrl: row.base_url,
      inboundNumber: row.inbound_number,
      apiKeyHint: row.api_key_hint,
      providerAuthFailedAt: row.provider_auth_failed_at,
      sendRatePerSecond: settings.sendRatePerSecond ?? 100,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      version: row.version,
    },
    health: healthFromRow(row),
    apiKeyEncrypted: row.api_key_encrypted,
    webhookSecretsEncrypted: row.webhook_secret_encrypted,
  };
}

function settingsJson(settings: CredentialSettings): string {
  const {
    name: _n,
    provider: _p,
    baseUrl: _b,
    inboundNumber: _i,
    ...rest
  } = settings as CredentialSettings & {
    providerAuthFailedAt?: unknown;
  };
  delete rest.providerAuthFailedAt;
  return JSON.stringify(rest);
}

export async function findCredential(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<StoredCredential | undefined> {
  const row = await db
    .selectFrom('credentials')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function listCredentials(
  db: Executor,
  sandbox: string,
  query: { name?: string; cursor?: string; limit: number },
): Promise<Page<Credential & { health: CredentialHealth }>> {
  const after = decodeCursor(query.cursor);
  let select = db.selectFrom('credentials').selectAll().where('sandbox', '=', sandbox);
  if (query.name) select = select.where(nameContains(query.name));
  if (after) select = select.where('id', '>', after);
  const rows = await select
    .orderBy('id')
    .limit(query.limit + 1)
    .execute();
  return toPage(rows, query.limit, (row) => {
    const stored = fromRow(row);
    return { ...stored.credential, health: stored.health };
  });
}

export async function insertCredential(
  db: Executor,
  input: { credential: Credential; apiKeyEncrypted: string; webhookSecretsEncrypted: string },
): Promise<void> {
  const c = input.credential;
  await db
    .insertInto('credentials')
    .values({
      sandbox: c.sandbox,
      id: c.id,
      name: c.name,
      provider: c.provider,
      base_url: c.baseUrl,
      api_key_encrypted: input.apiKeyEncrypted,
      api_key_hint: c.apiKeyHint,
      webhook_secret_encrypted: input.webhookSecretsEncrypted,
      settings: settingsJson(c),
      inbound_number: c.inboundNumber,
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      version: c.version,
      provider_auth_failed_at: c.providerAuthFailedAt,
    })
    .execute();
}

/** Writes new settings if the row is still at `expectedVersion`; false when someone else won. */
export async function updateCredential(
  db: Executor,
  credential: Credential,
  expectedVersion: number,
  apiKey?: { encrypted: string; hint: string },
): Promise<boolean> {
  const result = await db
    .updateTable('credentials')
    .set({
      name: credential.name,
      base_url: credential.baseUrl,
      settings: settingsJson(credential),
      inbound_number: credential.inboundNumber,
      updated_at: credential.updatedAt,
      version: credential.version,
      provider_auth_failed_at: credential.providerAuthFailedAt,
      ...(apiKey ? { api_key_encrypted: apiKey.encrypted, api_key_hint: apiKey.hint } : {}),
    })
    .where('sandbox', '=', credential.sandbox)
    .where('id', '=', credential.id)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteCredentialRow(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<void> {
  await db.deleteFrom('credentials').where('sandbox', '=', sandbox).where('id', '=', id).execute();
}

/** Re-points the global inbound-number lookup; throws a unique violation if the number is taken. */
export async function setInboundNumber(
  db: Executor,
  sandbox: string,
  credentialId: string,
  number: string | null,
): Promise<void> {
  await db
    .deleteFrom('inbound_numbers')
    .where('sandbox', '=', sandbox)
    .where('credential_id', '=', credentialId)
    .execute();
  if (number !== null) {
    await db
      .insertInto('inbound_numbers')
      .values({ number, sandbox, credential_id: credentialId })
      .execute();
  }
}

export async function findInboundNumberOwner(
  db: Executor,
  number: string,
): Promise<{ sandbox: string; credentialId: string } | undefined> {
  const row = await db
    .selectFrom('inbound_numbers')
    .selectAll()
    .where('number', '=', number)
    .executeTakeFirst();
  return row ? { sandbox: row.sandbox, credentialId: row.credential_id } : undefined;
}

/** Every credential's encrypted secrets, across sandboxes (for key rotation). */
export async function listEncryptedSecrets(
  db: Executor,
): Promise<
  { sandbox: string; id: string; apiKeyEncrypted: string; webhookSecretsEncrypted: string }[]
> {
  const rows = await db
    .selectFrom('credentials')
    .select(['sandbox', 'id', 'api_key_encrypted', 'webhook_secret_encrypted'])
    .execute();
  return rows.map((r) => ({
    sandbox: r.sandbox,
    id: r.id,
    apiKeyEncrypted: r.api_key_encrypted,
    webhookSecretsEncrypted: r.webhook_secret_encrypted,
  }));
}

export async function writeEncryptedSecrets(
  db: Executor,
  row: { sandbox: string; id: string; apiKeyEncrypted: string; webhookSecretsEncrypted: string },
): Promise<void> {
  await db
    .updateTable('credentials')
    .set({
      api_key_encrypted: row.apiKeyEncrypted,
      webhook_secret_encrypted: row.webhookSecretsEncrypted,
    })
    .where('sandbox', '=', row.sandbox)
    .where('id', '=', row.id)
    .execute();
}

/** Flags (or clears, with null) that the provider refused this credential's key. */
export async function markProviderAuthFailed(
  db: Executor,
  sandbox: string,
  id: string,
  at: string | null,
): Promise<void> {
  await db
    .updateTable('credentials')
    .set({ provider_auth_failed_at: at })
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .execute();
}
