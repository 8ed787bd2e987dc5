import type { Selectable } from 'kysely';
import type { Action } from '../automation/action.js';
import type { Executor } from '../db/executor.js';
import type { KeywordResponsesTable } from '../db/schema.js';
import type { KeywordResponse } from './keyword-response.js';

type Row = Selectable<KeywordResponsesTable>;

/** A stored response; `active` is the caller's to set (it depends on the credential). */
export type StoredKeywordResponse = Omit<KeywordResponse, 'active'> & { sandbox: string };

function fromRow(row: Row): StoredKeywordResponse {
  return {
    sandbox: row.sandbox,
    credentialId: row.credential_id,
    keyword: row.keyword,
    templateId: row.template_id,
    actions: JSON.parse(row.actions) as Action[],
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(r: StoredKeywordResponse): Row {
  return {
    sandbox: r.sandbox,
    credential_id: r.credentialId,
    keyword: r.keyword,
    template_id: r.templateId,
    actions: JSON.stringify(r.actions),
    version: r.version,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

export async function findKeywordResponse(
  db: Executor,
  sandbox: string,
  credentialId: string,
  keyword: string,
): Promise<StoredKeywordResponse | undefined> {
  const row = await db
    .selectFrom('keyword_responses')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('credential_id', '=', credentialId)
    .where('keyword', '=', keyword)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** A credential's responses, by keyword. A credential has at most a few dozen custom keywords. */
export async function listKeywordResponses(
  db: Executor,
  sandbox: string,
  credentialId: string,
): Promise<StoredKeywordResponse[]> {
  const rows = await db
    .selectFrom('keyword_responses')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('credential_id', '=', credentialId)
    .orderBy('keyword')
    .execute();
  return rows.map(fromRow);
}

/** The responses whose reply is the template (for the template's delete). */
export async function responsesUsingTemplate(
  db: Executor,
  sandbox: string,
  templateId: string,
): Promise<{ credentialId: string; keyword: string }[]> {
  const rows = await db
    .selectFrom('keyword_responses')
    .select(['credential_id', 'keyword'])
    .where('sandbox', '=', sandbox)
    .where('template_id', '=', templateId)
    .orderBy('credential_id')
    .orderBy('keyword')
    .execute();
  return rows.map((r) => ({ credentialId: r.credential_id, keyword: r.keyword }));
}

export async function insertKeywordResponse(
  db: Executor,
  response: StoredKeywordResponse,
): Promise<void> {
  await db.insertInto('keyword_responses').values(toRow(response)).execute();
}

/** Writes a response if it is still at `expectedVersion`; false when it moved on or went. */
export async function updateKeywordResponse(
  db: Executor,
  response: StoredKeywordResponse,
  expectedVersion: number,
): Promise<boolean> {
  const result = await db
    .updateTable('keyword_responses')
    .set({
      template_id: response.templateId,
      actions: JSON.stringify(response.actions),
      version: response.version,
      updated_at: response.updatedAt,
    })
    .where('sandbox', '=', response.sandbox)
    .where('credential_id', '=', response.credentialId)
    .where('keyword', '=', response.keyword)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes a response (at `expectedVersion` when given); false when there was none to delete. */
export async function deleteKeywordResponse(
  db: Executor,
  key: { sandbox: string; credentialId: string; keyword: string },
  expectedVersion?: number,
): Promise<boolean> {
  let query = db
    .deleteFrom('keyword_responses')
    .where('sandbox', '=', key.sandbox)
    .where('credential_id', '=', key.credentialId)
    .where('keyword', '=', key.keyword);
  if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
