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
