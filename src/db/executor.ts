import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** What repository functions take first: the database or a transaction, so the caller owns it. */
export type Executor = Kysely<Database> | Transaction<Database>;
