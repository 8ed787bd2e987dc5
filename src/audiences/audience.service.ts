import { recordAudit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/database.js';
import { isUniqueViolation } from '../db/dialect.js';
import type { Executor } from '../db/executor.js';
import { decodeCursor, toPage, type Page } from '../db/pagination.js';
import { AppError, staleVersionError, type ErrorDetail } from '../errors.js';
import { newId } from '../ids.js';
import { normalizeE164 } from '../phone.js';
import { CSV_MAX_LINE_LENGTH, parseCsvLine } from '../profiles/csv.js';
import { ensureProfile } from '../profiles/profile.repository.js';
import { audienceProfiles, type Audience } from './audience.js';
import {
  deleteList,
  deleteSegment,
  findList,
  findSegment,
  insertList,
  insertSegment,
  listLists,
  listSegments,
  updateList,
  updateSegment,
  type List,
  type Segment,
} from './audience.repository.js';
import { fillMembership } from './live-segments.js';
import { ruleProblems, type SegmentRule } from './segment-rule.js';

/** What a segment create or edit may carry (every field checked here, each problem named). */
export interface SegmentInput {
  name?: string;
  description?: string | null;
  rule?: unknown;
  live?: boolean;
}

export interface ListInput {
  name?: string;
  description?: string | null;
}

/** A profile as an audience yields it. */
export interface AudienceMember {
  id: string;
  phone: string;
  consent: string;
  attributes: Record<string, unknown>;
}

/** What adding members did. Adding never changes consent: a new profile starts `unknown`. */
export interface MembersAdded {
  added: number;
  alreadyMembers: number;
  /** Profiles made for phones that had none (consent from the ledger, else `unknown`). */
  profilesCreated: number;
}

export interface ListImportSummary extends MembersAdded {
  rows: number;
  rejected: number;
  rejections: { line: number; phone: string | null; reason: string }[];
}

const NAME = /^\p{L}[\p{L}\p{N}_.-]{0,99}$/u;
const NAME_RULE =
  'must start with a letter and use only letters, digits, "_", "." or "-" (at most 100)';
const DESCRIPTION_MAX = 500;
/** Most phones or profile ids one API call adds or removes. */
export const MEMBERS_PER_CALL = 1000;
const IMPORT_CHUNK = 500;
const MAX_LISTED_REJECTIONS = 100;

/**
 * Audiences: rule segments (saved, counted, listed, live) and static lists. Counts and member
 * pages are one SQL query each ({@link audienceProfiles}); nothing here loops over profiles.
 */
export class AudienceService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  private get dialect() {
    return this.deps.db.capabilities.name;
  }

  // ---- segments ----

  async getSegment(sandbox: string, id: string): Promise<Segment> {
    const segment = await findSegment(this.deps.db.kysely, sandbox, id);
    if (!segment) throw new AppError('not_found', `No segment ${id} in this sandbox.`);
    return segment;
  }

  listSegments(
    sandbox: string,
    query: { name?: string; cursor?: string; limit: number },
  ): Promise<Page<Segment>> {
    return listSegments(this.deps.db.kysely, sandbox, query);
  }

  async createSegment(sandbox: string, actor: Actor, input: SegmentInput): Promise<Segment> {
    const settings = checkSegment(input, undefined);
    const now = this.deps.clock.now().toISOString();
    const segment: Segment = {
      ...settings,
      id: newId(),
      sandbox,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    await this.write('segment', segment.name, async (trx) => {
      await insertSegment(trx, segment);
      if (segment.live) await fillMembership(trx, this.deps.clock, this.dialect, segment);
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'segment.created',
        resourceType: 'segment',
        resourceId: segment.id,
        resourceName: segment.name,
        fields: Object.keys(input).filter((k) => k in settings),
      });
    });
    return segment;
  }

  async updateSegment(
    sandbox: string,
    actor: Actor,
    id: string,
    input: SegmentInput,
    expectedVersion: number | undefined,
  ): Promise<Segment> {
    const before = await this.getSegment(sandbox, id);
    if (expectedVersion !== undefined && expectedVersion !== before.version)
      throw staleVersionError('segment', before.version);
    const settings = checkSegment(input, before);
    const fields = (['name', 'description', 'rule', 'live'] as const).filter((k) =>
      k === 'rule'
        ? JSON.stringify(settings.rule) !== JSON.stringify(before.rule)
        : settings[k] !== before[k],
    );
    if (fields.length === 0) return before;
    const segment: Segment = {
      ...before,
      ...settings,
      updatedAt: this.deps.clock.now().toISOString(),
      version: before.version + 1,
    };
    await this.write('segment', segment.name, async (trx) => {
      if (!(await updateSegment(trx, segment, before.version))) throw staleVersionError('segment');
      if (segment.live && (fields.includes('rule') || fields.includes('live')))
        await fillMembership(trx, this.deps.clock, this.dialect, segment);
      if (!segment.live && before.live)
        await trx
          .deleteFrom('segment_members')
          .where('sandbox', '=', sandbox)
          .where('segment_id', '=', id)
          .execute();
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'segment.updated',
        resourceType: 'segment',
        resourceId: id,
        resourceName: segment.name,
        fields: [...fields],
      });
    });
    return segment;
  }

  async deleteSegment(sandbox: string, actor: Actor, id: string): Promise<void> {
    const { name } = await this.getSegment(sandbox, id);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await deleteSegment(trx, sandbox, id);
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'segment.deleted',
        resourceType: 'segment',
        resourceId: id,
        resourceName: name,
        fields: [],
      });
    });
  }

  // ---- audiences: count and members ----

  /** How many profiles an audience (or an unsaved rule) holds now: one COUNT query. */
  async count(sandbox: string, audience: Audience | { rule: unknown }): Promise<number> {
    const query = await this.query(this.deps.db.kysely, sandbox, audience);
    const row = await this.deps.db.kysely
      .selectFrom(query.as('audience'))
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** A page of an audience's profiles, by id. */
  async members(
    sandbox: string,
    audience: Audience | { rule: unknown },
    page: { cursor?: string; limit: number },
  ): Promise<Page<AudienceMember>> {
    const after = decodeCursor(page.cursor);
    let query = await this.query(this.deps.db.kysely, sandbox, audience);
    if (after) query = query.where('profiles.id', '>', after);
    const rows = await query
      .orderBy('profiles.id')
      .limit(page.limit + 1)
      .execute();
    return toPage(rows, page.limit, (r) => ({
      id: r.id,
      phone: r.phone,
      consent: r.consent,
      attributes: JSON.parse(r.attributes) as Record<string, unknown>,
    }));
  }

  private query(db: Executor, sandbox: string, audience: Audience | { rule: unknown }) {
    if ('rule' in audience) {
      const problems = ruleProblems(audience.rule);
      if (problems.length > 0)
        throw new AppError('validation_failed', 'The segment rule is not valid.', problems);
    }
    return audienceProfiles(db, sandbox, audience as Audience | { rule: SegmentRule }, {
      dialect: this.dialect,
      now: this.deps.clock.now(),
    });
  }

  // ---- lists ----

  async getList(sandbox: string, id: string): Promise<List> {
    const list = await findList(this.deps.db.kysely, sandbox, id);
    if (!list) throw new AppError('not_found', `No list ${id} in this sandbox.`);
    return list;
  }

  listLists(
    sandbox: string,
    query: { name?: string; cursor?: string; limit: number },
  ): Promise<Page<List>> {
    return listLists(this.deps.db.kysely, sandbox, query);
  }

  async createList(sandbox: string, actor: Actor, input: ListInput): Promise<List> {
    const settings = checkList(input, undefined);
    const now = this.deps.clock.now().toISOString();
    const list: List = {
      ...settings,
      id: newId(),
      sandbox,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    await this.write('list', list.name, async (trx) => {
      await insertList(trx, list);
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'list.created',
        resourceType: 'list',
        resourceId: list.id,
        resourceName: list.name,
        fields: Object.keys(input).filter((k) => k in settings),
      });
    });
    return list;
  }

  async updateList(
    sandbox: string,
    actor: Actor,
    id: string,
    input: ListInput,
    expectedVersion: number | undefined,
  ): Promise<List> {
    const before = await this.getList(sandbox, id);
    if (expectedVersion !== undefined && expectedVersion !== before.version)
      throw staleVersionError('list', before.version);
    const settings = checkList(input, before);
    const fields = (['name', 'description'] as const).filter((k) => settings[k] !== before[k]);
    if (fields.length === 0) return before;
    const list: List = {
      ...before,
      ...settings,
      updatedAt: this.deps.clock.now().toISOString(),
      version: before.version + 1,
    };
    await this.write('list', list.name, async (trx) => {
      if (!(await updateList(trx, list, before.version))) throw staleVersionError('list');
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'list.updated',
        resourceType: 'list',
        resourceId: id,
        resourceName: list.name,
        fields: [...fields],
      });
    });
    return list;
  }

  async deleteList(sandbox: string, actor: Actor, id: string): Promise<void> {
    const { name } = await this.getList(sandbox, id);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await deleteList(trx, sandbox, id);
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'list.deleted',
        resourceType: 'list',
        resourceId: id,
        resourceName: name,
        fields: [],
      });
    });
  }

  /**
   * Adds profiles to a list by phone or id, all or nothing: a bad phone or an unknown id is a
   * 400 naming it, and nothing is added. A phone without a profile gets one, in the consent the
   * ledger holds for it (an opt-out outlives erasure) or `unknown`: a list never grants consent.
   */
  async addMembers(
    sandbox: string,
    actor: Actor,
    id: string,
    input: { phones?: string[]; profileIds?: string[] },
  ): Promise<MembersAdded> {
    const list = await this.getList(sandbox, id);
    const phones = this.checkPhones(input.phones ?? []);
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const ids = await this.knownProfileIds(trx, sandbox, input.profileIds ?? []);
      const result = await this.addToList(trx, list, phones, ids);
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'list.members_added',
        resourceType: 'list',
        resourceId: id,
        resourceName: list.name,
        fields: [],
        details: { ...result },
      });
      return result;
    });
  }

  /** Removes profiles (by phone or id) from a list; unknown ones are counted, not an error. */
  async removeMembers(
    sandbox: string,
    actor: Actor,
    id: string,
    input: { phones?: string[]; profileIds?: string[] },
  ): Promise<{ removed: number }> {
    const list = await this.getList(sandbox, id);
    const phones = this.checkPhones(input.phones ?? []);
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const byPhone =
        phones.length > 0
          ? (
              await trx
                .selectFrom('profiles')
                .select('id')
                .where('sandbox', '=', sandbox)
                .where('phone', 'in', phones)
                .execute()
            ).map((r) => r.id)
          : [];
      const ids = [...new Set([...byPhone, ...(input.profileIds ?? [])])];
      let removed = 0;
      if (ids.length > 0) {
        const result = await trx
          .deleteFrom('list_members')
          .where('sandbox', '=', sandbox)
          .where('list_id', '=', id)
          .where('profile_id', 'in', ids)
          .executeTakeFirst();
        removed = Number(result.numDeletedRows);
      }
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'list.members_removed',
        resourceType: 'list',
        resourceId: id,
        resourceName: list.name,
        fields: [],
        details: { removed },
      });
      return { removed };
    });
  }

  /**
   * Adds the phones of a CSV (a header naming a `phone` column; other columns are ignored) to a
   * list, 500 rows a transaction. Bad rows are rejected and listed (at most 100), not fatal.
   */
  async importCsv(
    sandbox: string,
    actor: Actor,
    id: string,
    lines: AsyncIterable<string | null>,
  ): Promise<ListImportSummary> {
    const list = await this.getList(sandbox, id);
    const summary: ListImportSummary = {
      rows: 0,
      added: 0,
      alreadyMembers: 0,
      profilesCreated: 0,
      rejected: 0,
      rejections: [],
    };
    const reject = (line: number, phone: string | null, reason: string) => {
      summary.rejected++;
      if (summary.rejections.length < MAX_LISTED_REJECTIONS)
        summary.rejections.push({ line, phone, reason });
    };
    let phoneColumn: number | undefined;
    let chunk: string[] = [];
    let lineNo = 0;
    const flush = async () => {
      if (chunk.length === 0) return;
      const phones = chunk;
      chunk = [];
      const added = await this.deps.db.kysely
        .transaction()
        .execute((trx) => this.addToList(trx, list, phones, []));
      summary.added += added.added;
      summary.alreadyMembers += added.alreadyMembers;
      summary.profilesCreated += added.profilesCreated;
    };
    for await (const raw of lines) {
      lineNo++;
      if (raw === null) {
        if (phoneColumn === undefined) throw csvHeaderMissing();
        summary.rows++;
        reject(lineNo, null, `line longer than ${CSV_MAX_LINE_LENGTH} characters`);
        continue;
      }
      const line = raw.replace(/^\uFEFF/, '').replace(/\r$/, '');
      if (line.trim() === '') continue;
      const fields = parseCsvLine(line);
      if (phoneColumn === undefined) {
        const header = (fields ?? []).map((f) => f.trim().toLowerCase());
        phoneColumn = header.indexOf('phone');
        if (phoneColumn < 0) throw csvHeaderMissing();
        continue;
      }
      summary.rows++;
      if (!fields) {
        reject(lineNo, null, 'unbalanced quotes');
        continue;
      }
      const rawPhone = fields[phoneColumn]?.trim() ?? '';
      const phone = rawPhone.includes('\u0000') ? undefined : normalizeE164(rawPhone);
      if (!phone) {
        reject(lineNo, rawPhone.slice(0, 64) || null, 'not a valid phone number');
        continue;
      }
      chunk.push(phone);
      if (chunk.length >= IMPORT_CHUNK) await flush();
    }
    if (phoneColumn === undefined)
      throw new AppError('validation_failed', 'The CSV is empty.', [
        {
          path: '/body',
          message: 'send a header line naming the phone column and one line per number',
        },
      ]);
    await flush();
    await this.deps.db.kysely.transaction().execute((trx) =>
      recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'list.members_added',
        resourceType: 'list',
        resourceId: id,
        resourceName: list.name,
        fields: [],
        details: {
          source: 'import',
          added: summary.added,
          alreadyMembers: summary.alreadyMembers,
          profilesCreated: summary.profilesCreated,
          rejected: summary.rejected,
        },
      }),
    );
    return summary;
  }

  private checkPhones(raw: string[]): string[] {
    const problems: ErrorDetail[] = [];
    const phones: string[] = [];
    raw.forEach((p, i) => {
      const phone = normalizeE164(p);
      if (phone) phones.push(phone);
      else
        problems.push({
          path: `/phones/${i}`,
          message: 'must be a valid phone number in international format, e.g. +14155550100',
        });
    });
    if (problems.length > 0)
      throw new AppError(
        'validation_failed',
        'Some phone numbers are not valid.',
        problems.slice(0, 100),
      );
    return [...new Set(phones)];
  }

  private async knownProfileIds(db: Executor, sandbox: string, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const unique = [...new Set(ids)];
    const found = new Set(
      (
        await db
          .selectFrom('profiles')
          .select('id')
          .where('sandbox', '=', sandbox)
          .where('id', 'in', unique)
          .execute()
      ).map((r) => r.id),
    );
    const problems = ids
      .map((id, i) => ({ id, i }))
      .filter(({ id }) => !found.has(id))
      .map(({ i }) => ({ path: `/profileIds/${i}`, message: 'is not a profile of this sandbox' }));
    if (problems.length > 0)
      throw new AppError(
        'validation_failed',
        'Some profile ids are unknown.',
        problems.slice(0, 100),
      );
    return unique;
  }

  private async addToList(
    trx: Executor,
    list: List,
    phones: string[],
    profileIds: string[],
  ): Promise<MembersAdded> {
    const { sandbox } = list;
    const ids = new Set(profileIds);
    let profilesCreated = 0;
    if (phones.length > 0) {
      const existing = new Map(
        (
          await trx
            .selectFrom('profiles')
            .select(['id', 'phone'])
            .where('sandbox', '=', sandbox)
            .where('phone', 'in', phones)
            .execute()
        ).map((r) => [r.phone, r.id]),
      );
      for (const phone of phones) {
        let id = existing.get(phone);
        if (!id) {
          // Creating a profile is not a consent change: it starts as the ledger says, or unknown.
          id = (await ensureProfile(trx, this.deps.clock, sandbox, phone)).id;
          profilesCreated++;
        }
        ids.add(id);
      }
    }
    if (ids.size === 0) return { added: 0, alreadyMembers: 0, profilesCreated };
    const all = [...ids];
    const present = new Set(
      (
        await trx
          .selectFrom('list_members')
          .select('profile_id')
          .where('sandbox', '=', sandbox)
          .where('list_id', '=', list.id)
          .where('profile_id', 'in', all)
          .execute()
      ).map((r) => r.profile_id),
    );
    const fresh = all.filter((id) => !present.has(id));
    const now = this.deps.clock.now().toISOString();
    for (let i = 0; i < fresh.length; i += 500)
      await trx
        .insertInto('list_members')
        .values(
          fresh
            .slice(i, i + 500)
            .map((profile_id) => ({ sandbox, list_id: list.id, profile_id, added_at: now })),
        )
        .execute();
    return { added: fresh.length, alreadyMembers: present.size, profilesCreated };
  }

  private async write(
    kind: 'segment' | 'list',
    name: string,
    work: (trx: Executor) => Promise<void>,
  ): Promise<void> {
    try {
      await this.deps.db.kysely.transaction().execute(work);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new AppError('conflict', `A ${kind} named "${name}" already exists in this sandbox.`, [
        { path: '/name', message: 'is taken in this sandbox' },
      ]);
    }
  }
}

function csvHeaderMissing(): AppError {
  return new AppError('validation_failed', 'The CSV needs a header line naming the phone column.', [
    { path: '/body', message: 'first line must be a header such as "phone" or "phone,name"' },
  ]);
}

function checkName(
  raw: string | undefined,
  current: string | undefined,
  problems: ErrorDetail[],
): string {
  const name = (raw ?? current ?? '').trim();
  if (name === '') problems.push({ path: '/name', message: 'is required' });
  else if (!NAME.test(name)) problems.push({ path: '/name', message: NAME_RULE });
  return name;
}

function checkDescription(
  raw: string | null | undefined,
  current: string | null | undefined,
  problems: ErrorDetail[],
): string | null {
  const value = raw === undefined ? (current ?? null) : raw === null ? null : raw.trim() || null;
  if (value !== null && value.length > DESCRIPTION_MAX)
    problems.push({
      path: '/description',
      message: `must be at most ${DESCRIPTION_MAX} characters`,
    });
  return value;
}

function checkSegment(
  input: SegmentInput,
  current: Segment | undefined,
): Pick<Segment, 'name' | 'description' | 'rule' | 'live'> {
  const problems: ErrorDetail[] = [];
  const name = checkName(input.name, current?.name, problems);
  const description = checkDescription(input.description, current?.description, problems);
  let rule = current?.rule;
  if (input.rule !== undefined) {
    const ruleIssues = ruleProblems(input.rule);
    problems.push(...ruleIssues);
    if (ruleIssues.length === 0) rule = input.rule as SegmentRule;
  } else if (!current) problems.push({ path: '/rule', message: 'is required' });
  const live = input.live ?? current?.live ?? false;
  if (problems.length > 0 || !rule)
    throw new AppError('validation_failed', 'The segment is not valid.', problems);
  return { name, description, rule, live };
}

function checkList(
  input: ListInput,
  current: List | undefined,
): Pick<List, 'name' | 'description'> {
  const problems: ErrorDetail[] = [];
  const name = checkName(input.name, current?.name, problems);
  const description = checkDescription(input.description, current?.description, problems);
  if (problems.length > 0)
    throw new AppError('validation_failed', 'The list is not valid.', problems);
  return { name, description };
}
