import { PostgresAdapter, sql, type RawBuilder, type SqlBool } from 'kysely';
import type { DialectName } from './dialect.js';
import type { Executor } from './executor.js';

/**
 * Reading a JSON text column in SQL, on either database: SQLite's `json_type`/`json_extract`
 * with a `$."a"."b"` path, PostgreSQL's `jsonb_typeof` and `#>` with a `{a,b}` path. The one
 * place the two differ for JSON; the segment compiler (audiences/rule-sql.ts) is written against
 * it. Every path and value is a bound parameter. Names in `path` are object keys, never indexes
 * (the databases disagree on `$.0` over an array).
 */
export interface JsonSql {
  /** True when the value at `path` is a JSON string / number / object / array. */
  isString(column: string, path: string[]): RawBuilder<SqlBool>;
  isNumber(column: string, path: string[]): RawBuilder<SqlBool>;
  isObject(column: string, path: string[]): RawBuilder<SqlBool>;
  /** True when the value is the JSON boolean `value`. */
  isBoolean(column: string, path: string[], value: boolean): RawBuilder<SqlBool>;
  /** True when a value is present and not JSON null. */
  isPresent(column: string, path: string[]): RawBuilder<SqlBool>;
  /** The string at `path` (null when missing or not a string), in byte order for comparisons. */
  text(column: string, path: string[]): RawBuilder<string | null>;
  /** The number at `path` (null when missing or not a number). */
  number(column: string, path: string[]): RawBuilder<number | null>;
  /** A number parameter of the type `number()` compares with. */
  numberParam(value: number): RawBuilder<number>;
  /** True when `haystack` contains `needle` (case-sensitive). */
  textContains(haystack: RawBuilder<string | null>, needle: string): RawBuilder<SqlBool>;
  /** True when the value is an array with an element equal to `value` (same JSON type). */
  arrayHas(column: string, path: string[], value: string | number): RawBuilder<SqlBool>;
}

const sqlitePath = (path: string[]) => `$${path.map((p) => `."${p}"`).join('')}`;

const sqlite: JsonSql = {
  isString: (c, p) => sql<SqlBool>`(json_type(${sql.ref(c)}, ${sqlitePath(p)}) = 'text')`,
  isNumber: (c, p) =>
    sql<SqlBool>`(json_type(${sql.ref(c)}, ${sqlitePath(p)}) in ('integer', 'real'))`,
  isObject: (c, p) => sql<SqlBool>`(json_type(${sql.ref(c)}, ${sqlitePath(p)}) = 'object')`,
  isBoolean: (c, p, v) =>
    sql<SqlBool>`(json_type(${sql.ref(c)}, ${sqlitePath(p)}) = ${v ? 'true' : 'false'})`,
  isPresent: (c, p) =>
    sql<SqlBool>`(coalesce(json_type(${sql.ref(c)}, ${sqlitePath(p)}), 'null') <> 'null')`,
  text: (c, p) =>
    sql<
      string | null
    >`(case when json_type(${sql.ref(c)}, ${sqlitePath(p)}) = 'text' then json_extract(${sql.ref(c)}, ${sqlitePath(p)}) end)`,
  number: (c, p) =>
    sql<
      number | null
    >`(case when json_type(${sql.ref(c)}, ${sqlitePath(p)}) in ('integer', 'real') then json_extract(${sql.ref(c)}, ${sqlitePath(p)}) end)`,
  numberParam: (v) => sql<number>`${v}`,
  textContains: (h, n) => sql<SqlBool>`(instr(${h}, ${n}) > 0)`,
  arrayHas: (c, p, v) =>
    sql<SqlBool>`(json_type(${sql.ref(c)}, ${sqlitePath(p)}) = 'array' and exists (select 1 from json_each(${sql.ref(c)}, ${sqlitePath(p)}) e where ${
      typeof v === 'string' ? sql`e.type = 'text'` : sql`e.type in ('integer', 'real')`
    } and e.value = ${v}))`,
};

const pgValue = (c: string, p: string[]) => sql`((${sql.ref(c)})::jsonb #> ${p}::text[])`;

const postgres: JsonSql = {
  isString: (c, p) => sql<SqlBool>`(jsonb_typeof(${pgValue(c, p)}) = 'string')`,
  isNumber: (c, p) => sql<SqlBool>`(jsonb_typeof(${pgValue(c, p)}) = 'number')`,
  isObject: (c, p) => sql<SqlBool>`(jsonb_typeof(${pgValue(c, p)}) = 'object')`,
  isBoolean: (c, p, v) => sql<SqlBool>`(${pgValue(c, p)} = ${v ? 'true' : 'false'}::jsonb)`,
  isPresent: (c, p) => sql<SqlBool>`(coalesce(jsonb_typeof(${pgValue(c, p)}), 'null') <> 'null')`,
  // COLLATE "C": byte order, as SQLite compares, whatever the database's locale.
  text: (c, p) =>
    sql<
      string | null
    >`((case when jsonb_typeof(${pgValue(c, p)}) = 'string' then ${pgValue(c, p)} #>> '{}' end) collate "C")`,
  // CASE, not AND: PostgreSQL does not promise to test the type before it casts.
  number: (c, p) =>
    sql<
      number | null
    >`(case when jsonb_typeof(${pgValue(c, p)}) = 'number' then (${pgValue(c, p)} #>> '{}')::numeric end)`,
  numberParam: (v) => sql<number>`${v}::numeric`,
  textContains: (h, n) => sql<SqlBool>`(strpos(${h}, ${n}::text) > 0)`,
  arrayHas: (c, p, v) =>
    sql<SqlBool>`(jsonb_typeof(${pgValue(c, p)}) = 'array' and ${pgValue(c, p)} @> jsonb_build_array(${
      typeof v === 'string' ? sql`${v}::text` : sql`${v}::numeric`
    }))`,
};

/** The JSON helpers of a dialect. */
export function jsonSql(dialect: DialectName): JsonSql {
  return dialect === 'postgres' ? postgres : sqlite;
}

/**
 * The dialect an executor talks to, for code handed only a Kysely handle or transaction.
 * Guess: `getExecutor()` is marked internal in Kysely 0.28 but is the only way to see the
 * adapter from a Transaction; callers that know the dialect pass it instead.
 */
export function dialectOf(db: Executor): DialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}
