import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';
import { ROTATED_COLUMNS } from './rotation.js';
import type { Keyring } from './secret-box.js';

/**
 * What an undecryptable value in each table means. A credential's secrets are needed for every
 * send and webhook: Tern refuses to start. An event webhook's signing secret may legitimately
 * be beyond every key (rotations before ba39a99 skipped them; its deliveries fail visibly until
 * it is registered again, see rotation.ts): a warning, not a refusal.
 */
const WHAT: Record<keyof typeof ROTATED_COLUMNS, { what: string; fatal: boolean }> = {
  credentials: { what: 'API credential', fatal: true },
  event_webhooks: { what: 'event webhook', fatal: false },
};

/** Raised at start-up when the configured key cannot open what the database holds. */
export class KeyMismatchError extends Error {
  constructor(
    readonly keySource: string,
    readonly keyId: string,
    readonly sealedWith: string,
    what: string,
  ) {
    super(
      `${keySource} (key ${keyId}) does not decrypt the secrets sealed with key ${sealedWith} (${what}). ` +
        'Set the key that was used, or, to change keys, run `tern secrets rotate` with both ' +
        '(the old key set, the new one as --new-key).',
    );
    this.name = 'KeyMismatchError';
  }
}

/**
 * Refuses a keyring that cannot decrypt what is stored: one sealed value per key id found (the
 * id is part of the stored form, `v1.<keyId>.…`) is decrypted. Without this a wrong
 * `TERN_SECRET_KEY` started "ready" while every webhook answered 500 and sends stuck in
 * `sending`. The tables are small (a row per credential or event webhook), each read once.
 * Returns warnings for what is undecryptable but not fatal.
 */
export async function assertKeyringDecrypts(
  db: Executor,
  keyring: Keyring,
  keySource: string,
): Promise<string[]> {
  const warnings: string[] = [];
  for (const [table, columns] of Object.entries(ROTATED_COLUMNS)) {
    const { what, fatal } = WHAT[table as keyof typeof ROTATED_COLUMNS];
    for (const column of columns) {
      for (const { keyId, sample, count } of await samplePerKeyId(db, table, column)) {
        try {
          keyring.decrypt(sample);
        } catch {
          const n = `${count} ${what}${count === 1 ? '' : 's'}`;
          if (fatal) throw new KeyMismatchError(keySource, keyring.current.id, keyId, n);
          warnings.push(
            `${keySource} does not decrypt the signing secrets of ${n} (sealed with key ${keyId}): their deliveries fail until each is registered again`,
          );
        }
      }
    }
  }
  return warnings;
}

/** One stored value per key id in `table.column`, with how many rows carry that id. */
async function samplePerKeyId(
  db: Executor,
  table: string,
  column: string,
): Promise<{ keyId: string; sample: string; count: number }[]> {
  // 'v1.' and the 8-character key id (secret-box.ts).
  const prefix = sql`substr(${sql.ref(column)}, 1, 11)`;
  const { rows } = await sql<{ sample: string; count: number | string }>`
    select min(${sql.ref(column)}) as sample, count(*) as count
    from ${sql.table(table)} group by ${prefix}`.execute(db);
  return rows.map((r) => ({
    keyId: r.sample.split('.')[1] ?? 'unknown',
    sample: r.sample,
    count: Number(r.count),
  }));
}
