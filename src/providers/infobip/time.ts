/**
 * Infobip timestamps: `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, i.e. `2019-11-09T16:00:00.000+0000` with an
 * offset without a colon. V8's Date happens to accept it; a strict parser would not, so the
 * format is parsed here explicitly and returned as ISO-8601 UTC.
 */

const INFOBIP_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)$/;

/** Parses an Infobip timestamp (colon-less or colon offsets, or `Z`) to ISO UTC; `null` if it is not one. */
export function parseInfobipTime(value: string): string | null {
  const m = INFOBIP_TIME.exec(value.trim());
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? '0');
  const ms = Number((frac ?? '0').padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 31 February over into March: refuse days the month does not have.
  const check = new Date(local);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return null;
  const utc = local - offsetMinutes * 60_000;
  if (!Number.isFinite(utc)) return null;
  return new Date(utc).toISOString();
}
