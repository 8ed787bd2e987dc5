import { erasedPhoneName, recordAudit } from '../audit/audit.js';
import type { Actor } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { Page } from '../db/pagination.js';
import { AppError } from '../errors.js';
import { recordEvent } from '../events/events.js';
import { normalizeE164 } from '../phone.js';
import { changeConsent } from './consent-change.js';
import { CONSENT_STATES, consentOf, type ConsentState } from './consent.js';
import { CSV_MAX_LINE_LENGTH, csvLine, parseCsvLine } from './csv.js';
import type { Profile } from './profile.js';
import { profileFromRow } from './profile.repository.js';
import {
  eraseProfile,
  findProfileByPhone,
  listProfiles,
  type ProfileQuery,
} from './profile.repository.js';

/** The states an operator may set directly; `pending` comes only from a double opt-in. */
export type SettableConsent = 'subscribed' | 'unsubscribed';

/** One rejected row of a consent import. */
export interface ImportRejection {
  line: number;
  phone: string | null;
  reason: string;
}

/** What a consent import did; `rejections` lists at most {@link MAX_LISTED_REJECTIONS}. */
export interface ImportSummary {
  rows: number;
  changed: number;
  unchanged: number;
  rejected: number;
  rejections: ImportRejection[];
}

export const MAX_LISTED_REJECTIONS = 100;
/** Rows committed per transaction during an import. */
const IMPORT_CHUNK = 500;
/** The same bound as the consent API's note. */
const NOTE_MAX_LENGTH = 2000;

function csvHeaderMissing(): AppError {
  return new AppError(
    'validation_failed',
    'The CSV needs a header line naming the phone and consent columns.',
    [{ path: '/body', message: 'first line must be a header such as "phone,consent"' }],
  );
}
export const CSV_HEADER = ['phone', 'consent', 'consent_updated_at'];

/** Profiles and the consent ledger, for the API: list, change, erase, import and export. */
export class ProfileService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  list(sandbox: string, query: ProfileQuery): Promise<Page<Profile>> {
    return listProfiles(this.deps.db.kysely, this.deps.db.capabilities.name, sandbox, query);
  }

  /** Sets a number's consent by API (source `api`, with the token as actor and an optional note). */
  async setConsent(
    sandbox: string,
    actor: Actor,
    rawPhone: string,
    input: { consent: SettableConsent; note?: string | null },
  ): Promise<{ profile: Profile; changed: boolean; from: ConsentState }> {
    const phone = phoneOrThrow(rawPhone);
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const result = await changeConsent(trx, this.deps.clock, {
        sandbox,
        phone,
        to: input.consent,
        source: 'api',
        actor: actor.id,
        note: input.note ?? null,
      });
      const profile = await findProfileByPhone(trx, sandbox, phone);
      if (!profile) throw new Error('profile missing right after setConsent');
      return { profile, changed: result.changed, from: result.from };
    });
  }

  /**
   * Erasure: deletes the profile; the ledger keeps its entries under the phone hash, so an
   * opt-out still holds. 404 when the number has no profile.
   */
  async erase(sandbox: string, actor: Actor, rawPhone: string): Promise<void> {
    const phone = phoneOrThrow(rawPhone);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const profile = await findProfileByPhone(trx, sandbox, phone);
      if (!profile) throw new AppError('not_found', `No profile for ${phone} in this sandbox.`);
      await eraseProfile(trx, profile);
      await recordEvent(trx, this.deps.clock, {
        sandbox,
        type: 'profile.deleted',
        payload: { profileId: profile.id, actor: actor.id },
      });
      // The number itself would undo the erasure: the log keeps its last two digits only.
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'profile.erased',
        resourceType: 'profile',
        resourceId: profile.id,
        resourceName: erasedPhoneName(phone),
        fields: [],
      });
    });
  }

  /** The consent of every profile as CSV lines (header first), read a page at a time. */
  async *exportCsv(sandbox: string): AsyncGenerator<string> {
    yield csvLine(CSV_HEADER);
    let after: string | null = null;
    for (;;) {
      let select = this.deps.db.kysely
        .selectFrom('profiles')
        .selectAll()
        .where('sandbox', '=', sandbox);
      if (after !== null) select = select.where('id', '>', after);
      const rows = await select.orderBy('id').limit(1000).execute();
      for (const row of rows) {
        const p = profileFromRow(row);
        yield csvLine([p.phone, p.consent, p.consentUpdatedAt ?? '']);
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < 1000) return;
      after = last.id;
    }
  }

  /**
   * Imports consent from CSV lines: a header naming `phone` and `consent` (other columns, such
   * as the export's `consent_updated_at`, are ignored; an optional `note` is kept in the
   * ledger). Idempotent: a row that matches the current state changes nothing. An import never
   * re-subscribes a number that opted out (only the person, or an explicit API call, can).
   */
  async importCsv(
    sandbox: string,
    actor: Actor,
    lines: AsyncIterable<string | null>,
  ): Promise<ImportSummary> {
    const summary: ImportSummary = {
      rows: 0,
      changed: 0,
      unchanged: 0,
      rejected: 0,
      rejections: [],
    };
    const reject = (line: number, phone: string | null, reason: string) => {
      summary.rejected++;
      if (summary.rejections.length < MAX_LISTED_REJECTIONS)
        summary.rejections.push({ line, phone, reason });
    };
    let columns: { phone: number; consent: number; note: number } | undefined;
    let chunk: { line: number; phone: string; consent: ConsentState; note: string | null }[] = [];
    let lineNo = 0;
    for await (const raw of lines) {
      lineNo++;
      if (raw === null) {
        if (!columns) throw csvHeaderMissing();
        summary.rows++;
        reject(lineNo, null, `line longer than ${CSV_MAX_LINE_LENGTH} characters`);
        continue;
      }
      const line = raw.replace(/^\uFEFF/, '').replace(/\r$/, '');
      if (line.trim() === '') continue;
      const fields = parseCsvLine(line);
      if (!columns) {
        const header = (fields ?? []).map((f) => f.trim().toLowerCase());
        const phone = header.indexOf('phone');
        const consent = header.indexOf('consent');
        if (phone < 0 || consent < 0) throw csvHeaderMissing();
        columns = { phone, consent, note: header.indexOf('note') };
        continue;
      }
      summary.rows++;
      if (!fields) {
        reject(lineNo, null, 'unbalanced quotes');
        continue;
      }
      // PostgreSQL cannot store NUL in text; the JSON routes refuse it in a hook, CSV fields here.
      if (fields.some((f) => f.includes('\u0000'))) {
        reject(lineNo, null, 'contains a NUL character');
        continue;
      }
      const rawPhone = fields[columns.phone]?.trim() ?? '';
      const phone = normalizeE164(rawPhone);
      if (!phone) {
        reject(lineNo, rawPhone || null, 'not a valid phone number');
        continue;
      }
      const consent = fields[columns.consent]?.trim().toLowerCase() ?? '';
      if (!(CONSENT_STATES as readonly string[]).includes(consent)) {
        reject(
          lineNo,
          phone,
          `consent must be subscribed or unsubscribed (got "${consent.slice(0, 40)}")`,
        );
        continue;
      }
      const note = columns.note >= 0 ? fields[columns.note]?.trim() || null : null;
      if (note !== null && note.length > NOTE_MAX_LENGTH) {
        reject(lineNo, phone, `note longer than ${NOTE_MAX_LENGTH} characters`);
        continue;
      }
      chunk.push({ line: lineNo, phone, consent: consent as ConsentState, note });
      if (chunk.length >= IMPORT_CHUNK) {
        await this.importChunk(sandbox, actor, chunk, summary, reject);
        chunk = [];
      }
    }
    if (!columns) {
      throw new AppError('validation_failed', 'The CSV is empty.', [
        { path: '/body', message: 'send a header line and one line per number' },
      ]);
    }
    await this.importChunk(sandbox, actor, chunk, summary, reject);
    return summary;
  }

  private async importChunk(
    sandbox: string,
    actor: Actor,
    rows: { line: number; phone: string; consent: ConsentState; note: string | null }[],
    summary: ImportSummary,
    reject: (line: number, phone: string | null, reason: string) => void,
  ): Promise<void> {
    if (rows.length === 0) return;
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const current = await consentOf(
        trx,
        sandbox,
        rows.map((r) => r.phone),
      );
      for (const row of rows) {
        const now = current.get(row.phone) ?? 'unknown';
        if (now === row.consent) {
          summary.unchanged++;
          continue;
        }
        if (row.consent === 'pending' || row.consent === 'unknown') {
          reject(
            row.line,
            row.phone,
            `${row.consent} cannot be imported (current: ${now}); use subscribed or unsubscribed`,
          );
          continue;
        }
        if (now === 'unsubscribed' && row.consent === 'subscribed') {
          reject(row.line, row.phone, 'the number opted out; an import does not re-subscribe it');
          continue;
        }
        await changeConsent(trx, this.deps.clock, {
          sandbox,
          phone: row.phone,
          to: row.consent,
          source: 'import',
          actor: actor.id,
          note: row.note,
        });
        current.set(row.phone, row.consent);
        summary.changed++;
      }
    });
  }
}

function phoneOrThrow(raw: string): string {
  const phone = normalizeE164(raw);
  if (!phone) {
    throw new AppError('validation_failed', 'The phone number is not valid.', [
      {
        path: '/params/phone',
        message: 'must be a valid phone number in international format, e.g. +14155550100',
      },
    ]);
  }
  return phone;
}
