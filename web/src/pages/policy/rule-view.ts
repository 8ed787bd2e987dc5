/** How a send-time rule and a policy decision read in the console: pure, no React. */
import {
  WEEKDAYS,
  type LocationSource,
  type PolicyInterval,
  type PolicyRule,
  type PolicyScope,
  type Weekday,
} from '../../api';

export const DAY_LABEL: Record<Weekday, string> = {
  mon: 'Mon',
  tue: 'Tue',
  wed: 'Wed',
  thu: 'Thu',
  fri: 'Fri',
  sat: 'Sat',
  sun: 'Sun',
};

/** Which signal placed the recipient, as a sentence part ("decided by …"). */
export const SOURCE_LABEL: Record<LocationSource, string> = {
  profile_time_zone: "the profile's time zone",
  profile_region: "the profile's state or postal code",
  area_code: "the number's area code",
  country: "the number's country",
  sandbox_default: "the sandbox's default",
  unknown: 'nothing (location unknown)',
};

export function sourceLabel(source: string | null | undefined): string {
  if (!source) return '—';
  return SOURCE_LABEL[source as LocationSource] ?? source.replace(/_/g, ' ');
}

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });

function countryName(code: string): string {
  try {
    return countryNames.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** "United States · FL", "France", "Everywhere". */
export function scopeLabel(scope: PolicyScope): string {
  if ('everywhere' in scope) return 'Everywhere';
  const country = countryName(scope.country);
  return scope.region ? `${country} · ${scope.region}` : country;
}

const hours = (intervals: PolicyInterval[]) =>
  intervals.length === 0 ? 'no sends' : intervals.map((i) => `${i.start}–${i.end}`).join(', ');

/**
 * A week of windows, consecutive days with the same hours merged: `Mon–Sat 09:00–21:00`,
 * `Sun 12:00–21:00`. A day missing from the rule reads as no sends.
 */
export function weekSummary(days: Partial<Record<Weekday, PolicyInterval[]>>): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < WEEKDAYS.length) {
    const first = WEEKDAYS[i] as Weekday;
    const text = hours(days[first] ?? []);
    let j = i;
    while (j + 1 < WEEKDAYS.length && hours(days[WEEKDAYS[j + 1] as Weekday] ?? []) === text) j++;
    const last = WEEKDAYS[j] as Weekday;
    const span =
      i === 0 && j === WEEKDAYS.length - 1
        ? 'Every day'
        : i === j
          ? DAY_LABEL[first]
          : `${DAY_LABEL[first]}–${DAY_LABEL[last]}`;
    out.push(`${span} ${text}`);
    i = j + 1;
  }
  return out;
}

/** "At most 3 per 24 h on one subject". */
export function capLabel(cap: NonNullable<PolicyRule['cap']>): string {
  const per = cap.per === 'subject' ? 'per number on one subject' : 'per number';
  return `At most ${cap.max} in any ${cap.windowHours} h, ${per}`;
}

/** What the rule lets through anyway. */
export function exemptLabel(exempt: PolicyRule['exempt']): string {
  const parts = [
    exempt.transactional ? 'transactional' : null,
    exempt.oneTimeCodes ? 'one-time codes' : null,
  ].filter(Boolean);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** "from 2025-09-01", "2024-01-01 to 2026-12-31". */
export function effectiveLabel(rule: Pick<PolicyRule, 'effectiveFrom' | 'effectiveUntil'>): string {
  return rule.effectiveUntil
    ? `${rule.effectiveFrom} to ${rule.effectiveUntil}`
    : `from ${rule.effectiveFrom}`;
}

/**
 * An instant in a named zone ("Wed, Dec 2, 2026, 08:00"), the recipient's local time a hold
 * ends; the browser's zone when the zone is unknown or not one Intl knows.
 */
export function formatInZone(iso: string, timeZone: string | null | undefined): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const options: Intl.DateTimeFormatOptions = {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  };
  try {
    return date.toLocaleString('en', { ...options, ...(timeZone ? { timeZone } : {}) });
  } catch {
    return date.toLocaleString('en', options);
  }
}
