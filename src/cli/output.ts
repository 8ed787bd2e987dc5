/** How CLI commands print: JSON for scripts (`--json`), aligned columns for people. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) {
    console.log('(none)');
    return;
  }
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    if (Array.isArray(v)) return v.join(',');
    if (typeof v === 'string') return v;
    return typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  };
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  console.log(line(columns));
  for (const row of rows) console.log(line(columns.map((c) => cell(row[c]))));
}

/** A record as `key: value` lines. */
export function printRecord(record: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(record).map((k) => k.length));
  for (const [key, value] of Object.entries(record)) {
    const text =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? JSON.stringify(value)
        : Array.isArray(value)
          ? value
              .map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)))
              .join(', ')
          : String(value);
    console.log(`${key.padEnd(width)}  ${text}`);
  }
}
