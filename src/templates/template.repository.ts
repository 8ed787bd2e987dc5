import type { Selectable } from 'kysely';
import type { MessageType } from '../channels/channel.js';
import type { Executor } from '../db/executor.js';
import { decodeCursor, toPage, type Page } from '../db/pagination.js';
import type { TemplateVersionsTable } from '../db/schema.js';
import { nameContains } from '../db/search.js';
import type { MediaItem } from '../messages/message.js';
import type { Template, TemplateVersion } from './template.js';

function versionFromRow(name: string, row: Selectable<TemplateVersionsTable>): TemplateVersion {
  return {
    id: row.template_id,
    sandbox: row.sandbox,
    name,
    version: row.version,
    body: row.body,
    media: row.media === null ? [] : (JSON.parse(row.media) as MediaItem[]),
    messageType: row.message_type as MessageType,
    dltContentTemplateId: row.dlt_content_template_id,
    dltTemplateText: row.dlt_template_text,
    createdAt: row.created_at,
  };
}

/** The row of a live template and its current version's content. */
function liveTemplates(db: Executor, sandbox: string) {
  return db
    .selectFrom('templates as t')
    .innerJoin('template_versions as v', (join) =>
      join
        .onRef('v.sandbox', '=', 't.sandbox')
        .onRef('v.template_id', '=', 't.id')
        .onRef('v.version', '=', 't.current_version'),
    )
    .selectAll('v')
    .select(['t.id as id', 't.name as name', 't.created_at as t_created_at', 't.updated_at'])
    .where('t.sandbox', '=', sandbox)
    .where('t.deleted_at', 'is', null);
}

type LiveRow = Selectable<TemplateVersionsTable> & {
  id: string;
  name: string;
  t_created_at: string;
  updated_at: string;
};

function templateFromRow(row: LiveRow): Template {
  return {
    ...versionFromRow(row.name, row),
    createdAt: row.t_created_at,
    updatedAt: row.updated_at,
  };
}

/** A live (not deleted) template, with its current version. */
export async function findTemplate(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<Template | undefined> {
  const row = await liveTemplates(db, sandbox).where('t.id', '=', id).executeTakeFirst();
  return row ? templateFromRow(row) : undefined;
}

/**
 * One version of a template, deleted or not (a campaign pinned to a version keeps rendering it);
 * the name is the template's current one.
 */
export async function findVersion(
  db: Executor,
  sandbox: string,
  id: string,
  version: number,
): Promise<TemplateVersion | undefined> {
  const row = await db
    .selectFrom('template_versions as v')
    .innerJoin('templates as t', (join) =>
      join.onRef('t.sandbox', '=', 'v.sandbox').onRef('t.id', '=', 'v.template_id'),
    )
    .selectAll('v')
    .select('t.name as name')
    .where('v.sandbox', '=', sandbox)
    .where('v.template_id', '=', id)
    .where('v.version', '=', version)
    .executeTakeFirst();
  return row ? versionFromRow(row.name, row) : undefined;
}

export async function listTemplates(
  db: Executor,
  sandbox: string,
  query: { name?: string; cursor?: string; limit: number },
): Promise<Page<Template>> {
  const after = decodeCursor(query.cursor);
  let select = liveTemplates(db, sandbox);
  if (query.name) select = select.where(nameContains(query.name, 't.name'));
  if (after) select = select.where('t.id', '>', after);
  const rows = await select
    .orderBy('t.id')
    .limit(query.limit + 1)
    .execute();
  return toPage(rows, query.limit, templateFromRow);
}

/** The versions of a template, newest first; a cursor is a version number. */
export async function listVersions(
  db: Executor,
  sandbox: string,
  template: Pick<Template, 'id' | 'name'>,
  query: { beforeVersion?: number; limit: number },
): Promise<{ items: TemplateVersion[]; nextCursor: string | null }> {
  let select = db
    .selectFrom('template_versions')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('template_id', '=', template.id);
  if (query.beforeVersion !== undefined) select = select.where('version', '<', query.beforeVersion);
  const rows = await select
    .orderBy('version', 'desc')
    .limit(query.limit + 1)
    .execute();
  const more = rows.length > query.limit;
  const kept = more ? rows.slice(0, query.limit) : rows;
  const last = kept[kept.length - 1];
  return {
    items: kept.map((row) => versionFromRow(template.name, row)),
    nextCursor: more && last ? String(last.version) : null,
  };
}

export async function insertTemplate(db: Executor, template: Template): Promise<void> {
  await db
    .insertInto('templates')
    .values({
      sandbox: template.sandbox,
      id: template.id,
      name: template.name,
      current_version: template.version,
      deleted_at: null,
      created_at: template.createdAt,
      updated_at: template.updatedAt,
    })
    .execute();
}

export async function insertVersion(
  db: Executor,
  version: TemplateVersion,
  createdBy: string,
): Promise<void> {
  await db
    .insertInto('template_versions')
    .values({
      sandbox: version.sandbox,
      template_id: version.id,
      version: version.version,
      body: version.body,
      media: version.media.length > 0 ? JSON.stringify(version.media) : null,
      message_type: version.messageType,
      dlt_content_template_id: version.dltContentTemplateId,
      dlt_template_text: version.dltTemplateText,
      created_at: version.createdAt,
      created_by: createdBy,
    })
    .execute();
}

/** Moves a live template to `template.version` if it is still at `expectedVersion`. */
export async function advanceTemplate(
  db: Executor,
  template: Template,
  expectedVersion: number,
): Promise<boolean> {
  const result = await db
    .updateTable('templates')
    .set({
      name: template.name,
      current_version: template.version,
      updated_at: template.updatedAt,
    })
    .where('sandbox', '=', template.sandbox)
    .where('id', '=', template.id)
    .where('current_version', '=', expectedVersion)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function softDeleteTemplate(
  db: Executor,
  sandbox: string,
  id: string,
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('templates')
    .set({ deleted_at: at, updated_at: at })
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
