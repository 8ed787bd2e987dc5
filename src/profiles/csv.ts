/** Just enough CSV (RFC 4180) for the consent import and export: one record per line. */

/** Quotes a field when it needs it. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(fields: string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** Splits one CSV line into fields; undefined when its quotes are unbalanced. */
export function parseCsvLine(line: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) return undefined;
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      fields.push(value);
      if (i >= line.length) return fields;
      if (line[i] !== ',') return undefined;
      i++;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** The longest CSV line the consent import reads, in characters; a longer one is a rejected row. */
export const CSV_MAX_LINE_LENGTH = 4096;

/**
 * Splits text chunks into lines (LF or CRLF; the CR is left for the caller), in linear time and
 * without ever holding more than `maxLength` characters of one line: a line longer than that
 * is yielded as `null` (its rest skipped), so one endless line cannot fill memory.
 */
export async function* boundedLines(
  chunks: AsyncIterable<string> | Iterable<string>,
  maxLength = CSV_MAX_LINE_LENGTH,
): AsyncGenerator<string | null> {
  let pending = '';
  let overlong = false;
  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf('\n', start);
      const piece = chunk.slice(start, newline < 0 ? undefined : newline);
      if (!overlong && pending.length + piece.length > maxLength) {
        overlong = true;
        pending = '';
      }
      if (!overlong) pending += piece;
      if (newline < 0) break;
      yield overlong ? null : pending;
      pending = '';
      overlong = false;
      start = newline + 1;
    }
  }
  if (overlong) yield null;
  else if (pending !== '') yield pending;
}
