/**
 * Every string a request may carry has a length bound in its schema (issue 12: "every string
 * that reaches a regex or parser has a length bound"). Read from the OpenAPI document, which is
 * built from the routes' own schemas, so a new route or field cannot forget one.
 */
import { expect, it } from 'vitest';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

type Schema = Record<string, unknown>;

/** JSON pointers (into the document) of string schemas with no maxLength, enum or const. */
function unbounded(
  schema: unknown,
  at: string,
  refs: Record<string, Schema>,
  seen = new Set<string>(),
): string[] {
  if (schema === null || typeof schema !== 'object') return [];
  const s = schema as Schema;
  if (typeof s.$ref === 'string') {
    const name = s.$ref.split('/').pop()!;
    if (seen.has(name)) return [];
    return unbounded(refs[name], `${at}→${name}`, refs, new Set([...seen, name]));
  }
  const out: string[] = [];
  const types = [s.type].flat();
  if (
    types.includes('string') &&
    s.maxLength === undefined &&
    s.enum === undefined &&
    s.const === undefined
  ) {
    out.push(at);
  }
  for (const [key, value] of Object.entries(s)) {
    if (key === 'properties' || key === 'patternProperties') {
      for (const [name, child] of Object.entries(value as Schema))
        out.push(...unbounded(child, `${at}/${name}`, refs, seen));
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') {
      out.push(...unbounded(value, `${at}/${key}`, refs, seen));
    } else if (key === 'anyOf' || key === 'oneOf' || key === 'allOf') {
      (value as unknown[]).forEach((child, i) =>
        out.push(...unbounded(child, `${at}/${key}/${i}`, refs, seen)),
      );
    }
  }
  return out;
}

describeEachDialect('request schemas', ({ db }) => {
  it('bound every string a request carries (params, query, headers, bodies)', async () => {
    const t = await buildTestApp(db());
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    const doc = res.json<{
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { in: string; name: string; schema: unknown }[];
            requestBody?: { content: Record<string, { schema: unknown }> };
          }
        >
      >;
      components?: { schemas?: Record<string, Schema> };
    }>();
    const refs = doc.components?.schemas ?? {};
    const problems: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const at = `${method.toUpperCase()} ${path}`;
        for (const p of op.parameters ?? [])
          problems.push(...unbounded(p.schema, `${at} ${p.in} ${p.name}`, refs));
        for (const [type, body] of Object.entries(op.requestBody?.content ?? {})) {
          problems.push(...unbounded(body.schema, `${at} body(${type})`, refs));
        }
      }
    }
    expect(problems).toEqual([]);
    await t.app.close();
  });
});
