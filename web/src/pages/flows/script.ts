/**
 * Durations as people write them (`90 s`, `2 h`, `1 d`) and the simulate panel's script: one
 * line per text, "at 1 h the person texts STOP" (or just "1 h STOP").
 */
import type { ScriptLine } from './flow-types';

export type DurationUnit = 's' | 'min' | 'h' | 'd';
export const UNIT_SECONDS: Record<DurationUnit, number> = { s: 1, min: 60, h: 3600, d: 86_400 };
export const UNITS: { unit: DurationUnit; label: string }[] = [
  { unit: 's', label: 'seconds' },
  { unit: 'min', label: 'minutes' },
  { unit: 'h', label: 'hours' },
  { unit: 'd', label: 'days' },
];

/** The largest unit that divides `seconds` exactly: 86400 → 1 d, 5400 → 90 min. */
export function splitDuration(seconds: number): { amount: number; unit: DurationUnit } {
  for (const unit of ['d', 'h', 'min'] as const) {
    const size = UNIT_SECONDS[unit];
    if (seconds >= size && seconds % size === 0) return { amount: seconds / size, unit };
  }
  return { amount: seconds, unit: 's' };
}

/** An offset from the simulation's start for people: `0 s`, `1 d`, `1 d 2 h 5 min`. */
export function formatOffset(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '0 s';
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const unit of ['d', 'h', 'min', 's'] as const) {
    const size = UNIT_SECONDS[unit];
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n} ${unit}`);
    rest -= n * size;
  }
  return parts.join(' ');
}

/** A wait for people: "1 day", "90 minutes". */
export function formatDuration(seconds: number): string {
  const { amount, unit } = splitDuration(seconds);
  const label = UNITS.find((u) => u.unit === unit)?.label ?? 'seconds';
  return `${amount} ${amount === 1 ? label.slice(0, -1) : label}`;
}

// The route's own bounds (contract: ≤ 200 lines, text ≤ 1600).
export const SCRIPT_LIMITS = { lines: 200, text: 1600, lineLength: 1700 } as const;

const UNIT_WORDS: Record<string, DurationUnit> = {
  s: 's',
  sec: 's',
  secs: 's',
  second: 's',
  seconds: 's',
  m: 'min',
  min: 'min',
  mins: 'min',
  minute: 'min',
  minutes: 'min',
  h: 'h',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  d: 'd',
  day: 'd',
  days: 'd',
};

// Bounded: the line is cut to SCRIPT_LIMITS.lineLength first, and the pattern has no nested
// quantifiers (one optional prefix, a number, a unit word, an optional "texts" phrase).
const LINE =
  /^(?:at\s+)?(\d{1,9}(?:\.\d{1,3})?)\s*([a-z]{1,7})\b[\s,:]*(?:(?:(?:the\s+)?person\s+)?(?:texts|replies)\s+)?(.*)$/i;

export type ParsedScript = { ok: true; script: ScriptLine[] } | { ok: false; problems: string[] };

/** The script typed into the panel; blank lines and `#` comments are skipped. */
export function parseScript(text: string): ParsedScript {
  const script: ScriptLine[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `Line ${index + 1}`;
    if (line.length > SCRIPT_LIMITS.lineLength) {
      problems.push(`${where} is longer than ${SCRIPT_LIMITS.lineLength} characters.`);
      return;
    }
    const m = LINE.exec(line);
    const unit = m ? UNIT_WORDS[(m[2] ?? '').toLowerCase()] : undefined;
    if (!m || unit === undefined) {
      problems.push(`${where}: write "at 1 h the person texts YES" (units s, min, h, d).`);
      return;
    }
    const words = (m[3] ?? '').trim().replace(/^["“](.*)["”]$/, '$1');
    if (words === '') {
      problems.push(`${where}: what does the person text?`);
      return;
    }
    if (words.length > SCRIPT_LIMITS.text) {
      problems.push(`${where}: a text is at most ${SCRIPT_LIMITS.text} characters.`);
      return;
    }
    script.push({ atSeconds: Math.round(Number(m[1]) * UNIT_SECONDS[unit]), text: words });
  });
  if (script.length > SCRIPT_LIMITS.lines)
    problems.push(`At most ${SCRIPT_LIMITS.lines} lines (${script.length} given).`);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, script };
}
