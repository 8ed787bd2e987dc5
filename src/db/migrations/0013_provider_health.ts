import type { Kysely } from 'kysely';

/**
 * Provider health per credential and the last provider error per message. A wrong base URL or
 * an unreachable provider used to be retried silently for the whole validity period (48 h),
 * shown only as "queued": the credential now says what failed (DNS, refused, TLS, auth, scope)
 * and since when, and each message keeps the last error the provider call met.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of [
    'provider_health', // null (healthy or not tried yet) or a problem code: dns_failure, …
    'provider_health_message',
    'provider_health_since', // the first failure of the current run of failures
    'provider_checked_at', // the last provider call recorded, failed or not
  ]) {
    await db.schema.alterTable('credentials').addColumn(column, 'text').execute();
  }
  await db.schema.alterTable('messages').addColumn('last_provider_error', 'text').execute();
  await db.schema.alterTable('messages').addColumn('last_provider_error_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('last_provider_error_at').execute();
  await db.schema.alterTable('messages').dropColumn('last_provider_error').execute();
  for (const column of [
    'provider_checked_at',
    'provider_health_since',
    'provider_health_message',
    'provider_health',
  ]) {
    await db.schema.alterTable('credentials').dropColumn(column).execute();
  }
}
