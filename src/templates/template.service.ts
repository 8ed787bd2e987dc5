import { recordAudit } from '../audit/audit.js';
import type { ChannelConfiguration } from '../channels/channel.js';
import { findChannel } from '../channels/channel.repository.js';
import type { Clock } from '../clock.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/database.js';
import { isUniqueViolation } from '../db/dialect.js';
import type { Executor } from '../db/executor.js';
import type { Page } from '../db/pagination.js';
import { AppError, staleVersionError, type ErrorDetail } from '../errors.js';
import { newId } from '../ids.js';
import type { SmsEncoding } from '../messages/segments.js';
import { normalizeE164 } from '../phone.js';
import { profileFromRow } from '../profiles/profile.repository.js';
import { checkRendered, sizeProblem } from './check.js';
import { templateUsers } from './template-users.js';
import {
  compileTemplate,
  trialRender,
  type CompiledTemplate,
  type RenderContext,
} from './render.js';
import {
  validateTemplate,
  type Template,
  type TemplateInput,
  type TemplateSettings,
  type TemplateVersion,
} from './template.js';
import {
  advanceTemplate,
  findTemplate,
  findVersion,
  insertTemplate,
  insertVersion,
  listTemplates,
  listVersions,
  softDeleteTemplate,
} from './template.repository.js';

/** One rendered text for one recipient, as a preview shows it. */
export interface PreviewItem {
  profileId: string | null;
  phone: string | null;
  ok: boolean;
  /** The final text (footer added); with unset variables printed as nothing when they failed. */
  text: string;
  characters: number;
  segments: number;
  encoding: SmsEncoding;
  problems: ErrorDetail[];
}

/** Whom to preview for: real profiles by id or phone (a phone without a profile is allowed). */
export interface PreviewTarget {
  profileIds?: string[];
  phones?: string[];
  version?: number;
  channelConfigurationId?: string;
}

/** An unsaved template, as the console's editor sends it on each keystroke. */
export type TemplateDraft = Pick<
  TemplateInput,
  'body' | 'messageType' | 'media' | 'dltTemplateText'
>;

/** A value of the request and where it sits in it (for the problem that names it). */
interface Named {
  value: string;
  path: string;
}

/** The most recipients one preview renders. */
export const PREVIEW_MAX = 20;
/** Parsed versions kept; a parse of a 4,000-character body is ~0.1 ms, so this only saves work. */
const COMPILED_MAX = 1_000;

/** Who a template is rendered for when no profile is given: nobody's attributes. */
const NOBODY: RenderContext['profile'] = {
  id: null,
  phone: '',
  consent: 'unknown',
  attributes: {},
};

/** Message templates: versioned per sandbox, rendered and checked per recipient. */
export class TemplateService {
  private readonly compiled = new Map<string, CompiledTemplate>();

  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  async get(sandbox: string, id: string): Promise<Template> {
    const template = await findTemplate(this.deps.db.kysely, sandbox, id);
    if (!template) throw new AppError('not_found', `No template ${id} in this sandbox.`);
    return template;
  }

  /**
   * One version (the current one without `version`). A deleted template's versions stay
   * readable by number, so a campaign confirmed before the delete keeps what it pinned.
   */
  async getVersion(sandbox: string, id: string, version?: number): Promise<TemplateVersion> {
    const number = version ?? (await this.get(sandbox, id)).version;
    const found = await findVersion(this.deps.db.kysely, sandbox, id, number);
    if (!found)
      throw new AppError('not_found', `Template ${id} has no version ${number} in this sandbox.`);
    return found;
  }

  list(
    sandbox: string,
    query: { name?: string; cursor?: string; limit: number },
  ): Promise<Page<Template>> {
    return listTemplates(this.deps.db.kysely, sandbox, query);
  }

  async versions(
    sandbox: string,
    id: string,
    query: { cursor?: string; limit: number },
  ): Promise<Page<TemplateVersion>> {
    const template = await this.get(sandbox, id);
    let beforeVersion: number | undefined;
    if (query.cursor !== undefined && query.cursor !== '') {
      if (!/^[1-9]\d{0,8}$/.test(query.cursor))
        throw new AppError('validation_failed', 'The cursor is not valid.', [
          { path: '/querystring/cursor', message: 'use the nextCursor of a previous page' },
        ]);
      beforeVersion = Number(query.cursor);
    }
    return listVersions(this.deps.db.kysely, sandbox, template, {
      beforeVersion,
      limit: query.limit,
    });
  }

  async create(sandbox: string, actor: Actor, input: TemplateInput): Promise<Template> {
    const settings = this.validate(sandbox, input, undefined);
    const now = this.deps.clock.now().toISOString();
    const template: Template = {
      ...settings,
      id: newId(),
      sandbox,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    await this.write(settings.name, async (trx) => {
      await insertTemplate(trx, template);
      await insertVersion(trx, { ...template, createdAt: now }, actor.id);
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'template.created',
        resourceType: 'template',
        resourceId: template.id,
        resourceName: template.name,
        fields: Object.keys(settings),
        details: { version: 1 },
      });
    });
    return template;
  }

  /** Any change makes a new immutable version; `expectedVersion` is the If-Match version. */
  async update(
    sandbox: string,
    actor: Actor,
    id: string,
    input: TemplateInput,
    expectedVersion: number | undefined,
  ): Promise<Template> {
    const before = await this.get(sandbox, id);
    if (expectedVersion !== undefined && expectedVersion !== before.version)
      throw staleVersionError('template', before.version);
    const settings = this.validate(sandbox, input, before);
    const fields = (Object.keys(settings) as (keyof TemplateSettings)[]).filter(
      (k) => JSON.stringify(settings[k]) !== JSON.stringify(before[k]),
    );
    if (fields.length === 0) return before;
    const now = this.deps.clock.now().toISOString();
    const template: Template = {
      ...before,
      ...settings,
      version: before.version + 1,
      updatedAt: now,
    };
    await this.write(settings.name, async (trx) => {
      // The pointer moves first: a concurrent edit at the same version finds it moved (412)
      // before either inserts a version row.
      if (!(await advanceTemplate(trx, template, before.version)))
        throw staleVersionError('template');
      await insertVersion(trx, { ...template, createdAt: now }, actor.id);
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'template.updated',
        resourceType: 'template',
        resourceId: id,
        resourceName: template.name,
        fields,
        details: { version: template.version },
      });
    });
    return template;
  }

  /**
   * Soft delete: the template leaves the lists and frees its name; its versions stay. Refused
   * with 409 naming them while keyword responses reply with it or flows send it (their reply or
   * send would stop).
   */
  async delete(sandbox: string, actor: Actor, id: string): Promise<void> {
    const { name } = await this.get(sandbox, id);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const users = await templateUsers(trx, sandbox, id);
      if (users.length > 0)
        throw new AppError(
          'conflict',
          `The template is used by ${users.length} keyword response(s) or flow(s); change or remove them first.`,
          users,
        );
      if (!(await softDeleteTemplate(trx, sandbox, id, this.deps.clock.now().toISOString())))
        throw new AppError('not_found', `No template ${id} in this sandbox.`);
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'template.deleted',
        resourceType: 'template',
        resourceId: id,
        resourceName: name,
        fields: [],
      });
    });
  }

  /** A saved version rendered for up to 20 real profiles (by id or phone). */
  async preview(
    sandbox: string,
    id: string,
    target: PreviewTarget,
  ): Promise<{ items: PreviewItem[] }> {
    const version = await this.getVersion(sandbox, id, target.version);
    const channel = await this.channel(sandbox, target.channelConfigurationId);
    const profiles = await this.recipients(
      sandbox,
      (target.profileIds ?? []).map((value, i) => ({ value, path: `/profileIds/${i}` })),
      (target.phones ?? []).map((value, i) => ({ value, path: `/phones/${i}` })),
    );
    if (profiles.length === 0)
      throw new AppError('validation_failed', 'Name the profiles to preview for.', [
        { path: '/profileIds', message: `give profileIds or phones (1 to ${PREVIEW_MAX} in all)` },
      ]);
    const compiled = this.compiledVersion(version);
    return {
      items: profiles.map((profile) => previewOne(compiled, version, channel, sandbox, profile)),
    };
  }

  /** An unsaved draft rendered for one profile (or nobody's attributes): the live editor. */
  async render(
    sandbox: string,
    draft: TemplateDraft,
    target: { profileId?: string; phone?: string; channelConfigurationId?: string },
  ): Promise<PreviewItem> {
    const { settings, problems } = validateTemplate({ ...draft, name: 'draft' }, undefined, {
      draft: true,
    });
    if (problems.length > 0)
      throw new AppError('validation_failed', 'The template is not valid.', problems);
    const compiled = compileTemplate(settings);
    const channel = await this.channel(sandbox, target.channelConfigurationId);
    const [profile] = await this.recipients(
      sandbox,
      target.profileId !== undefined ? [{ value: target.profileId, path: '/profileId' }] : [],
      target.phone !== undefined ? [{ value: target.phone, path: '/phone' }] : [],
    );
    return previewOne(compiled, settings, channel, sandbox, profile ?? NOBODY);
  }

  /** Parsed once per version; ids are unique across sandboxes, the key carries both anyway. */
  private compiledVersion(version: TemplateVersion): CompiledTemplate {
    const key = `${version.sandbox}\u0000${version.id}\u0000${version.version}`;
    let compiled = this.compiled.get(key);
    if (!compiled) {
      compiled = compileTemplate(version);
      if (this.compiled.size >= COMPILED_MAX) {
        const oldest = this.compiled.keys().next().value;
        if (oldest !== undefined) this.compiled.delete(oldest);
      }
      this.compiled.set(key, compiled);
    }
    return compiled;
  }

  /**
   * The fields, the Liquid, and the size of the body for a recipient with no attributes (what
   * every recipient gets at least): a body that is over the cap for everyone is refused here.
   */
  private validate(
    sandbox: string,
    input: TemplateInput,
    current: TemplateSettings | undefined,
  ): TemplateSettings {
    const { settings, problems } = validateTemplate(input, current);
    if (!problems.some((p) => p.path === '/body')) {
      try {
        compileTemplate(settings);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        throw new AppError('validation_failed', 'The template is not valid.', [
          ...problems,
          ...error.details,
        ]);
      }
      const trial = trialRender(settings.body, {
        profile: NOBODY,
        sandbox: { name: sandbox },
        campaign: null,
      });
      if (!trial.ok) problems.push(...trial.problems);
      else {
        const size = sizeProblem(trial.text, settings.media.length > 0 ? 'mms' : 'sms');
        if (size)
          problems.push({ path: '/body', message: `${size}, before any variable is filled in` });
      }
    }
    if (problems.length > 0)
      throw new AppError('validation_failed', 'The template is not valid.', problems);
    return settings;
  }

  private async channel(
    sandbox: string,
    id: string | undefined,
  ): Promise<ChannelConfiguration | null> {
    if (id === undefined) return null;
    const channel = await findChannel(this.deps.db.kysely, sandbox, id);
    if (!channel)
      throw new AppError('validation_failed', 'The channel configuration does not exist.', [
        {
          path: '/channelConfigurationId',
          message: 'is not a channel configuration of this sandbox',
        },
      ]);
    return channel;
  }

  /** The profiles named, in the order given; a phone with no profile renders with no attributes. */
  private async recipients(
    sandbox: string,
    ids: Named[],
    phones: Named[],
  ): Promise<RenderContext['profile'][]> {
    const profileIds = ids.map((id) => id.value);
    const problems: ErrorDetail[] = [];
    if (profileIds.length + phones.length > PREVIEW_MAX)
      problems.push({
        path: '/profileIds',
        message: `at most ${PREVIEW_MAX} profiles and phones in all`,
      });
    const normalized = phones.map(({ value, path }) => {
      const phone = normalizeE164(value);
      if (!phone)
        problems.push({
          path,
          message: 'must be a valid phone number in international format, e.g. +14155550100',
        });
      return phone ?? '';
    });
    if (problems.length > 0)
      throw new AppError('validation_failed', 'The recipients are not valid.', problems);

    const db = this.deps.db.kysely;
    const rows =
      profileIds.length + normalized.length === 0
        ? []
        : await db
            .selectFrom('profiles')
            .selectAll()
            .where('sandbox', '=', sandbox)
            .where((eb) =>
              eb.or([
                ...(profileIds.length > 0 ? [eb('id', 'in', profileIds)] : []),
                ...(normalized.length > 0 ? [eb('phone', 'in', normalized)] : []),
              ]),
            )
            .execute();
    const byId = new Map(rows.map((row) => [row.id, profileFromRow(row)]));
    const byPhone = new Map([...byId.values()].map((p) => [p.phone, p]));
    const out: RenderContext['profile'][] = [];
    ids.forEach(({ value, path }) => {
      const profile = byId.get(value);
      if (!profile) problems.push({ path, message: 'is not a profile of this sandbox' });
      else out.push(profile);
    });
    for (const phone of normalized) {
      out.push(byPhone.get(phone) ?? { id: null, phone, consent: 'unknown', attributes: {} });
    }
    if (problems.length > 0)
      throw new AppError('validation_failed', 'The recipients are not valid.', problems);
    return out.map(({ id, phone, consent, attributes }) => ({ id, phone, consent, attributes }));
  }

  private async write(name: string, work: (trx: Executor) => Promise<void>): Promise<void> {
    try {
      await this.deps.db.kysely.transaction().execute(work);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new AppError('conflict', `A template named "${name}" already exists in this sandbox.`, [
        { path: '/name', message: 'is taken in this sandbox' },
      ]);
    }
  }
}

/** Renders and checks one recipient; a failed render still shows the text with blanks. */
function previewOne(
  compiled: CompiledTemplate,
  t: Pick<TemplateVersion, 'body' | 'messageType' | 'media' | 'dltTemplateText'>,
  channel: ChannelConfiguration | null,
  sandbox: string,
  profile: RenderContext['profile'],
): PreviewItem {
  const ctx: RenderContext = { profile, sandbox: { name: sandbox }, campaign: null };
  const rendered = compiled.render(ctx);
  const renderProblems = rendered.ok ? [] : rendered.problems;
  const text = rendered.ok ? rendered.text : lenientText(t.body, ctx);
  const check = checkRendered(text, t, channel);
  const problems = [...renderProblems, ...(check.ok ? [] : check.problems)];
  return {
    profileId: profile.id,
    phone: profile.phone === '' ? null : profile.phone,
    ok: problems.length === 0,
    text: check.text,
    characters: check.characters,
    segments: check.segments,
    encoding: check.encoding,
    problems,
  };
}

function lenientText(body: string, ctx: RenderContext): string {
  const trial = trialRender(body, ctx);
  return trial.ok ? trial.text : '';
}
