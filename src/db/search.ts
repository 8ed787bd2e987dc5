import { sql, type RawBuilder } from 'kysely';

/**
 * Case-insensitive "name contains" filter. `%` and `_` typed in a search box are literal
 * characters; the explicit ESCAPE clause makes that hold on both SQLite and PostgreSQL.
 */
export function nameContains(text: string, column = 'name'): RawBuilder<boolean> {
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}
