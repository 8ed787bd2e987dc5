import { ACTIONS_MAX, type Action } from '../automation/action.js';
import { validateActionRefs } from '../automation/action-refs.js';
import { recordAudit } from '../audit/audit.js';
import type { Actor } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import type { Credential } from '../credentials/credential.js';
import type { CredentialService } from '../credentials/credential.service.js';
import { KEYWORD_MAX_LENGTH, normalizeKeyword } from '../credentials/keywords.js';
import type { Db } from '../db/database.js';
import { isUniqueViolation } from '../db/dialect.js';
import type { Executor } from '../db/executor.js';
import { AppError, staleVersionError, type ErrorDetail } from '../errors.js';
import { checkRendered } from '../templates/check.js';
import { trialRender } from '../templates/render.js';
import type { Template } from '../templates/template.js';
import { findTemplate } from '../templates/template.repository.js';
import type { KeywordResponse, KeywordResponseInput } from './keyword-response.js';
import {
  deleteKeywordResponse,
  findKeywordResponse,
  insertKeywordResponse,
  listKeywordResponses,
  updateKeywordResponse,
  type StoredKeywordResponse,
} from './keyword-response.repository.js';

export interface KeywordResponseServiceDeps {
  db: Db;
  clock: Clock;
  credentials: CredentialService;
}

/** The audit log's id of a response: one resource per credential and keyword. */
export function keywordResponseId(credentialId: string, keyword: string): string {
  return `${credentialId}:${keyword}`;
}

/** The replies and actions of a credential's custom keywords: validation, versions, audit. */
export class KeywordResponseService {
  constructor(private readonly deps: KeywordResponseServiceDeps) {}

  /** Every response of a credential, `active` telling whether its keyword is still custom. */
  async list(sandbox: string, credentialId: string): Promise<KeywordResponse[]> {
    const credential = await this.credential(sandbox, credentialId);
    const stored = await listKeywordResponses(this.deps.db.kysely, sandbox, credentialId);
    return stored.map((r) => view(r, credential));
  }

  async get(sandbox: string, credentialId: string, rawKeyword: string): Promise<KeywordResponse> {
    const credential = await this.credential(sandbox, credentialId);
    const keyword = normalizeKeyword(rawKeyword);
    const found = await findKeywordResponse(this.deps.db.kysely, sandbox, credentialId, keyword);
    if (!found) throw notFound(credentialId, keyword);
    return view(found, credential);
  }

  /**
   * Creates or replaces a keyword's response. The keyword must be one of the credential's custom
   * inbound keywords; the template and the lists and flows the actions name must be in the
   * sandbox. Every problem is named at once and nothing changes. `expectedVersion` is If-Match.
   */
  async set(
    sandbox: string,
    actor: Actor,
    credentialId: string,
    rawKeyword: string,
    input: KeywordResponseInput,
    expectedVersion: number | undefined,
  ): Promise<KeywordResponse> {
    const { credential, keyword } = await this.check(sandbox, credentialId, rawKeyword, input);
    const db = this.deps.db.kysely;
    const now = this.deps.clock.now().toISOString();
    const before = await findKeywordResponse(db, sandbox, credentialId, keyword);
    if (expectedVersion !== undefined && expectedVersion !== before?.version)
      throw staleVersionError('keyword response', before?.version);
    const fields = (['templateId', 'actions'] as const).filter(
      (k) => JSON.stringify(input[k]) !== JSON.stringify(before?.[k]),
    );
    if (before && fields.length === 0) return view(before, credential);
    const response: StoredKeywordResponse = {
      sandbox,
      credentialId,
      keyword,
      templateId: input.templateId,
      actions: input.actions,
      version: (before?.version ?? 0) + 1,
      createdAt: before?.createdAt ?? now,
      updatedAt: now,
    };
    try {
      await db.transaction().execute(async (trx) => {
        if (before) {
          if (!(await updateKeywordResponse(trx, response, before.version)))
            throw staleVersionError('keyword response');
        } else await insertKeywordResponse(trx, response);
        await recordAudit(trx, this.deps.clock, {
          sandbox,
          actor,
          action: 'keyword_response.updated',
          resourceType: 'keyword_response',
          resourceId: keywordResponseId(credentialId, keyword),
          resourceName: keyword,
          fields,
          details: { credentialId, keyword, version: response.version, created: !before },
        });
      });
    } catch (error) {
      // Two first PUTs of one keyword at once: the second finds the first's row.
      if (isUniqueViolation(error)) throw staleVersionError('keyword response');
      throw error;
    }
    return view(response, credential);
  }

  /**
   * What `set` refuses, without setting: every problem named at once (400). Approvals call it
   * when the change is requested, so a response that could never apply does not wait.
   */
  async check(
    sandbox: string,
    credentialId: string,
    rawKeyword: string,
    input: KeywordResponseInput,
  ): Promise<{ credential: Credential; keyword: string }> {
    const credential = await this.credential(sandbox, credentialId);
    const keyword = normalizeKeyword(rawKeyword);
    const problems = [
      ...keywordProblems(credential, keyword, rawKeyword),
      ...(await this.inputProblems(this.deps.db.kysely, sandbox, input)),
    ];
    if (problems.length > 0)
      throw new AppError('validation_failed', 'The keyword response is not valid.', problems);
    return { credential, keyword };
  }

  /** Deletes a keyword's response (at `expectedVersion` when given): the keyword is then recorded only. */
  async delete(
    sandbox: string,
    actor: Actor,
    credentialId: string,
    rawKeyword: string,
    expectedVersion: number | undefined,
  ): Promise<void> {
    await this.credential(sandbox, credentialId);
    const keyword = normalizeKeyword(rawKeyword);
    const db = this.deps.db.kysely;
    const before = await findKeywordResponse(db, sandbox, credentialId, keyword);
    if (!before) throw notFound(credentialId, keyword);
    if (expectedVersion !== undefined && expectedVersion !== before.version)
      throw staleVersionError('keyword response', before.version);
    await db.transaction().execute(async (trx) => {
      const key = { sandbox, credentialId, keyword };
      if (!(await deleteKeywordResponse(trx, key, before.version)))
        throw staleVersionError('keyword response');
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'keyword_response.deleted',
        resourceType: 'keyword_response',
        resourceId: keywordResponseId(credentialId, keyword),
        resourceName: keyword,
        fields: [],
        details: { credentialId, keyword },
      });
    });
  }

  private async credential(sandbox: string, id: string): Promise<Credential> {
    return (await this.deps.credentials.get(sandbox, id)).credential;
  }

  private async inputProblems(
    db: Executor,
    sandbox: string,
    input: KeywordResponseInput,
  ): Promise<ErrorDetail[]> {
    const problems: ErrorDetail[] = [];
    if (input.actions.length > ACTIONS_MAX)
      problems.push({ path: '/actions', message: `at most ${ACTIONS_MAX} actions` });
    if (input.templateId === null && input.actions.length === 0)
      problems.push({
        path: '/templateId',
        message: 'give a template to reply with or at least one action (or delete the response)',
      });
    if (input.templateId !== null) {
      const template = await findTemplate(db, sandbox, input.templateId);
      if (!template)
        problems.push({ path: '/templateId', message: 'is not a template of this sandbox' });
      else problems.push(...replyProblems(template, sandbox));
    }
    const actions = input.actions.slice(0, ACTIONS_MAX);
    problems.push(
      ...(await validateActionRefs(
        db,
        sandbox,
        actions.map((action: Action, i) => ({ action, path: `/actions/${i}` })),
      )),
    );
    return problems;
  }
}

/**
 * What every texter would be refused: the reply goes from the credential's inbound number with
 * no channel configuration, so no marketing footer is added and a marketing template must say
 * how to opt out itself. Rendered with nobody's attributes (unset variables print nothing).
 */
function replyProblems(template: Template, sandbox: string): ErrorDetail[] {
  const trial = trialRender(template.body, {
    profile: { id: null, phone: '', consent: 'unknown', attributes: {} },
    sandbox: { name: sandbox },
    campaign: null,
    keyword: 'KEYWORD',
  });
  if (!trial.ok) return [];
  const check = checkRendered(trial.text, template, null);
  return check.ok
    ? []
    : check.problems.map((p) => ({
        path: '/templateId',
        message: `as a keyword reply (no channel configuration, so no footer), the template ${p.message}`,
      }));
}

function keywordProblems(credential: Credential, keyword: string, raw: string): ErrorDetail[] {
  if (credential.customInboundKeywords.includes(keyword)) return [];
  const allowed = credential.customInboundKeywords;
  const shown = raw.length > KEYWORD_MAX_LENGTH ? `${raw.slice(0, KEYWORD_MAX_LENGTH)}…` : keyword;
  return [
    {
      path: '/params/keyword',
      message:
        allowed.length > 0
          ? `"${shown}" is not a custom inbound keyword of this credential; use one of: ${allowed.join(', ')}`
          : `"${shown}" is not a custom inbound keyword of this credential, which has none (add it to customInboundKeywords first)`,
      allowedValues: allowed,
    },
  ];
}

function view(r: StoredKeywordResponse, credential: Credential): KeywordResponse {
  return {
    credentialId: r.credentialId,
    keyword: r.keyword,
    templateId: r.templateId,
    actions: r.actions,
    active: credential.customInboundKeywords.includes(r.keyword),
    version: r.version,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

function notFound(credentialId: string, keyword: string): AppError {
  return new AppError(
    'not_found',
    `Credential ${credentialId} has no response for the keyword ${keyword}.`,
  );
}
