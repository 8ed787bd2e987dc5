import { Type, type TSchema } from '@sinclair/typebox';

/** The error body, as documented in the OpenAPI document for every route. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable snake_case code, e.g. validation_failed' }),
      message: Type.String(),
      details: Type.Array(
        Type.Object(
          { path: Type.Optional(Type.String()), message: Type.String() },
          { additionalProperties: true },
        ),
      ),
    }),
  },
  { $id: 'ErrorResponse', title: 'Error' },
);

/** Standard error responses to spread into a route's `response` schema. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, Type.Ref(ErrorResponse)]));
}

/**
 * The `limit` of a list endpoint. Query values are strings (body types are never coerced), so
 * the number is parsed by {@link pageLimit}.
 */
export const PageLimit = Type.String({
  maxLength: 3,
  pattern: '^(?:[1-9]\\d?|1\\d\\d|200)$',
  description: 'Page size, 1-200 (default 50)',
});

/** Query string of list endpoints: cursor pagination and a name filter. */
export const ListQuery = Type.Object(
  {
    cursor: Type.Optional(
      Type.String({ maxLength: 200, description: 'nextCursor of the previous page' }),
    ),
    limit: Type.Optional(PageLimit),
    name: Type.Optional(
      Type.String({
        maxLength: 100,
        description: 'Only items whose name contains this (case-insensitive)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

/** A page of items and the cursor to the next one. */
export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  });
}

/** The page size a list query asks for. */
export function pageLimit(limit: string | undefined): number {
  return limit === undefined ? 50 : Number(limit);
}
