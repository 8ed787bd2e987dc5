import { sql, type Kysely } from 'kysely';

/**
 * Flows (issue 17): small declarative automations and their durable runs.
 *
 * - `flows`: the current definition (JSON, src/flows/definition.ts) and its version; `trigger_type`
 *   and `trigger_key` are copied out of the definition for the trigger lookup (keyword:
 *   `credentialId:KEYWORD`, segment_entered: the segment id, api_event: the event name).
 *   Deleting a flow deletes it and its versions; its runs stay (ended `flow_deleted`) for the
 *   people's timelines.
 * - `flow_versions`: every definition a flow has had; a run keeps the version it started on.
 * - `flow_runs`: one person's way through one version. `state` is the interpreter's RunState
 *   (JSON); `due_at` when the runner must look again (set while active: every wait has a
 *   deadline); `pending_reply` a reply stored by the inbound engine for the runner to hand over;
 *   `lease_owner` / `lease_until` the runner that claimed it; `version` the optimistic guard every
 *   step checks and bumps, so two runners never both take a step. `exclusive_key` is the phone
 *   while an active run of a one-run-per-person flow holds it (null otherwise): unique per flow,
 *   so a second concurrent start fails on the index instead of racing (NULLs never collide, on
 *   SQLite and PostgreSQL alike).
 * - `flow_run_events`: a run's timeline (what it did, when, why), with the message it queued.
 * - `flow_cursors`: per sandbox, the last event the segment trigger has read.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('flows')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // draft | active | paused
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('trigger_type', 'text', (c) => c.notNull())
    .addColumn('trigger_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('flows_pk', ['sandbox', 'id'])
    .addUniqueConstraint('flows_name_unique', ['sandbox', 'name'])
    .execute();
  // The flows a trigger starts, in id order (id last, or SQLite reads the key's index in order
  // instead: every flow of the sandbox for each text).
  await db.schema
    .createIndex('flows_trigger_idx')
    .on('flows')
    .columns(['sandbox', 'trigger_type', 'trigger_key', 'status', 'id'])
    .execute();

  await db.schema
    .createTable('flow_versions')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('flow_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addPrimaryKeyConstraint('flow_versions_pk', ['sandbox', 'flow_id', 'version'])
    .execute();

  await db.schema
    .createTable('flow_runs')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('flow_id', 'text', (c) => c.notNull())
    .addColumn('flow_version', 'integer', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text')
    .addColumn('credential_id', 'text')
    // active | ended
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text')
    .addColumn('pending_reply', 'text')
    .addColumn('exclusive_key', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('end_reason', 'text')
    .addColumn('sends', 'integer', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addPrimaryKeyConstraint('flow_runs_pk', ['sandbox', 'id'])
    .addUniqueConstraint('flow_runs_exclusive_unique', ['sandbox', 'flow_id', 'exclusive_key'])
    .execute();
  // A run by id alone: the claim's UPDATE … WHERE id IN (due runs). Without it, SQLite read
  // every run for each poll (the key leads with sandbox): with 10,000 runs waiting, inbound
  // texts went at 0.3× the rate of a server without flows.
  await db.schema.createIndex('flow_runs_id_idx').on('flow_runs').columns(['id']).execute();
  // The runner's claim: active runs by deadline (ended runs leave the index).
  await db.schema
    .createIndex('flow_runs_due_idx')
    .on('flow_runs')
    .columns(['due_at'])
    .where(sql.ref('status'), '=', 'active')
    .execute();
  // The inbound engine: a number's active runs, in id order; the runs list by phone. With id
  // last, the order needs no other index: without it SQLite chose the key's index for the
  // order and read every run of the sandbox for each text (10,000 waiting runs: 0.3×).
  await db.schema
    .createIndex('flow_runs_phone_idx')
    .on('flow_runs')
    .columns(['sandbox', 'phone', 'status', 'id'])
    .execute();
  // A flow's runs, newest first; the per-day guard's runs of (flow, phone).
  await db.schema
    .createIndex('flow_runs_flow_idx')
    .on('flow_runs')
    .columns(['sandbox', 'flow_id', 'id'])
    .execute();
  await db.schema
    .createIndex('flow_runs_flow_phone_idx')
    .on('flow_runs')
    .columns(['sandbox', 'flow_id', 'phone'])
    .execute();

  await db.schema
    .createTable('flow_run_events')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text')
    .addPrimaryKeyConstraint('flow_run_events_pk', ['sandbox', 'id'])
    .execute();
  // A run's timeline in order; the per-day guard's sends of a run (a few notes a run).
  await db.schema
    .createIndex('flow_run_events_run_idx')
    .on('flow_run_events')
    .columns(['sandbox', 'run_id', 'id'])
    .execute();

  await db.schema
    .createTable('flow_cursors')
    .addColumn('sandbox', 'text', (c) => c.primaryKey())
    .addColumn('cursor', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['flow_cursors', 'flow_run_events', 'flow_runs', 'flow_versions', 'flows'])
    await db.schema.dropTable(table).execute();
}
