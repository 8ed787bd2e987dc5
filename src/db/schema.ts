/**
 * The database as Kysely sees it. Conventions: plural snake_case tables; ids (UUIDv7 text) and
 * timestamps (ISO-8601 UTC text) are made in the app; JSON is stored as text; booleans as 0/1
 * integers — the same on SQLite and PostgreSQL, so one code path serves both.
 */
export interface Database {
  admin_tokens: AdminTokensTable;
  sandboxes: SandboxesTable;
  credentials: CredentialsTable;
  inbound_numbers: InboundNumbersTable;
  channel_configurations: ChannelConfigurationsTable;
  audit_events: AuditEventsTable;
}

/** Admin API tokens. Only a SHA-256 hash is stored; `sandbox` null means every sandbox. */
export interface AdminTokensTable {
  id: string;
  name: string;
  token_hash: string;
  sandbox: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface SandboxesTable {
  name: string;
  created_at: string;
}

/** API credentials. Secrets are AES-256-GCM ciphertexts; the rest of the settings are JSON. */
export interface CredentialsTable {
  sandbox: string;
  id: string;
  name: string;
  provider: string;
  base_url: string;
  api_key_encrypted: string;
  api_key_hint: string;
  webhook_secret_encrypted: string;
  /** JSON of the keyword lists, replies, DLT ids, validity, callback data, fuzzy opt-out. */
  settings: string;
  inbound_number: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

/** Global: an inbound number routes to exactly one credential, whatever its sandbox. */
export interface InboundNumbersTable {
  number: string;
  sandbox: string;
  credential_id: string;
}

export interface ChannelConfigurationsTable {
  sandbox: string;
  id: string;
  name: string;
  description: string | null;
  channel: string;
  message_type: string;
  credential_id: string;
  sender: string;
  marketing_footer: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

/** Who changed what, when: field names only, never values of secrets. */
export interface AuditEventsTable {
  sandbox: string;
  id: string;
  at: string;
  actor: string;
  action: string;
  resource_type: string;
  resource_id: string;
  /** JSON array of the names of the fields that changed. */
  fields: string;
  /** JSON object with non-secret context (e.g. a verify result), or null. */
  details: string | null;
}
