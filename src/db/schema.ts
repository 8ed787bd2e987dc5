/**
 * The database as Kysely sees it. Conventions: plural snake_case tables; ids (UUIDv7 text) and
 * timestamps (ISO-8601 UTC text) are made in the app; JSON is stored as text; booleans as 0/1
 * integers — the same on SQLite and PostgreSQL, so one code path serves both.
 */
export interface Database {
  admin_tokens: AdminTokensTable;
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
