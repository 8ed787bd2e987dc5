/** A send-time rule as the form edits it, and the request body it becomes. */
import { WEEKDAYS, type PolicyInterval, type PolicyRule, type Weekday } from '../../api';

export interface RuleForm {
  name: string;
  everywhere: boolean;
  country: string;
  region: string;
  kind: 'window' | 'cap';
  zoneFrom: 'recipient' | 'fixed';
  timeZone: string;
  days: Record<Weekday, PolicyInterval[]>;
  holidays: string;
  capMax: string;
  capWindowHours: string;
  capPer: 'number' | 'subject';
  outside: 'hold' | 'drop';
  exemptTransactional: boolean;
  exemptOneTimeCodes: boolean;
  source: string;
  effectiveFrom: string;
  effectiveUntil: string;
}

const everyDay = (intervals: PolicyInterval[]) =>
  Object.fromEntries(WEEKDAYS.map((d) => [d, intervals.map((i) => ({ ...i }))])) as Record<
    Weekday,
    PolicyInterval[]
  >;

/** A new rule: a window like the federal one, holding what falls outside it. */
export function blankRule(today: string): RuleForm {
  return {
    name: '',
    everywhere: false,
    country: 'US',
    region: '',
    kind: 'window',
    zoneFrom: 'recipient',
    timeZone: '',
    days: everyDay([{ start: '08:00', end: '21:00' }]),
    holidays: '',
    capMax: '3',
    capWindowHours: '24',
    capPer: 'subject',
    outside: 'hold',
    exemptTransactional: true,
    exemptOneTimeCodes: true,
    source: '',
    effectiveFrom: today,
    effectiveUntil: '',
  };
}

export function ruleToForm(rule: PolicyRule, today: string): RuleForm {
  const blank = blankRule(today);
  const scope = rule.scope;
  return {
    ...blank,
    name: rule.name,
    everywhere: 'everywhere' in scope,
    country: 'country' in scope ? scope.country : '',
    region: 'country' in scope ? (scope.region ?? '') : '',
    kind: rule.kind,
    days: rule.window
      ? (Object.fromEntries(
          WEEKDAYS.map((d) => [d, (rule.window?.days[d] ?? []).map((i) => ({ ...i }))]),
        ) as Record<Weekday, PolicyInterval[]>)
      : blank.days,
    zoneFrom: rule.window?.timeZoneFrom ?? 'recipient',
    timeZone: rule.window?.timeZone ?? '',
    holidays: rule.window?.holidays ?? '',
    capMax: rule.cap ? String(rule.cap.max) : blank.capMax,
    capWindowHours: rule.cap ? String(rule.cap.windowHours) : blank.capWindowHours,
    capPer: rule.cap?.per ?? blank.capPer,
    outside: rule.outside,
    exemptTransactional: rule.exempt.transactional,
    exemptOneTimeCodes: rule.exempt.oneTimeCodes,
    source: rule.source,
    effectiveFrom: rule.effectiveFrom,
    effectiveUntil: rule.effectiveUntil ?? '',
  };
}

/** A number typed as text; what is not a number goes as typed, for the server to name. */
const numberOf = (text: string): number | string => {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
};

/** The body of `POST /v1/policy/rules` (and of a `PATCH`: the same fields). */
export function ruleBody(form: RuleForm): Record<string, unknown> {
  const region = form.region.trim().toUpperCase();
  return {
    name: form.name.trim(),
    scope: form.everywhere
      ? { everywhere: true }
      : { country: form.country.trim().toUpperCase(), ...(region ? { region } : {}) },
    kind: form.kind,
    ...(form.kind === 'window'
      ? {
          window: {
            timeZoneFrom: form.zoneFrom,
            ...(form.zoneFrom === 'fixed' ? { timeZone: form.timeZone.trim() } : {}),
            days: form.days,
            ...(form.holidays.trim() ? { holidays: form.holidays.trim().toUpperCase() } : {}),
          },
        }
      : {
          cap: {
            max: numberOf(form.capMax),
            windowHours: numberOf(form.capWindowHours),
            per: form.capPer,
          },
        }),
    outside: form.outside,
    exempt: { transactional: form.exemptTransactional, oneTimeCodes: form.exemptOneTimeCodes },
    source: form.source.trim(),
    effectiveFrom: form.effectiveFrom,
    effectiveUntil: form.effectiveUntil === '' ? null : form.effectiveUntil,
  };
}

/** Today as `YYYY-MM-DD` in the browser's zone (a date input's value). */
export function todayInput(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
