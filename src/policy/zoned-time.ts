/**
 * Wall-clock arithmetic in an IANA zone from Intl alone (no tz library): the local date and
 * time of an instant, and the instant of a local date and time, DST included.
 */

const formats = new Map<string, Intl.DateTimeFormat>();

function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    // Bounded: zones come from validated names, a few hundred at most.
    if (formats.size >= 1_000) formats.clear();
    formats.set(timeZone, f);
  }
  return f;
}

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock time in `timeZone` at `ms` (epoch milliseconds). */
export function localTime(ms: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of format(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The zone's offset from UTC at `ms`, in milliseconds (New York in winter: -5 h). */
export function offsetAt(ms: number, timeZone: string): number {
  const t = localTime(ms, timeZone);
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The first instant at or after the local wall time `minutes` past midnight of the local date
 * (`year`, `month`, `day`) in `timeZone`. A time skipped by a spring-forward change (02:30 in New
 * York on the second Sunday of March) is the instant the clocks jump to; a repeated one (autumn)
 * is its first occurrence.
 */
export function instantOf(
  year: number,
  month: number,
  day: number,
  minutes: number,
  timeZone: string,
): number {
  const wall = Date.UTC(year, month - 1, day, 0, minutes);
  // Two offset probes settle every real zone: the offset before and after a change.
  const first = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(first, timeZone);
  const candidates = [
    first,
    second,
    wall - offsetAt(wall - 86_400_000, timeZone),
    wall - offsetAt(wall + 86_400_000, timeZone),
  ];
  let best: number | null = null;
  for (const c of candidates) {
    if (wallOf(c, timeZone) === wall && (best === null || c < best)) best = c;
  }
  if (best !== null) return best;
  // In a gap: the first minute whose wall time is past it, i.e. when the clocks jump. Minute
  // steps over 6 hours bound it (the largest DST jump in use is 1 h).
  const start = Math.min(first, second) - 3 * 3_600_000;
  for (let ms = start; ms <= start + 6 * 3_600_000; ms += 60_000) {
    if (wallOf(ms, timeZone) > wall) return ms;
  }
  return first;
}

function wallOf(ms: number, timeZone: string): number {
  const t = localTime(ms, timeZone);
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
}
