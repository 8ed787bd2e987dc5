import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

/**
 * Schema compilers shared by every app this process builds. Fastify makes a fresh Ajv and a
 * fresh fast-json-stringify build per instance; with Tern's ~120 routes that is ~1.2 s of CPU
 * on each `ready()`, paid again by every test that builds an app. Compiled functions depend only
 * on the schema object, the shared schemas beside it and the options, all module constants
 * here, so they are kept per process:
 * - validators: one Ajv per distinct set of shared schemas and options (the compiler's own pool,
 *   keyed by their JSON), and Ajv caches each compiled schema by object;
 * - serializers: cached by what the schema, the shared schemas and the options say (as JSON:
 *   routes build their response schemas per app, and Fastify clones the shared ones).
 */
const buildValidator = AjvCompiler();
const buildSerializerUncached = SerializerSelector();

type SerializerFactory = ReturnType<typeof SerializerSelector>;
type Serializer = (data: unknown) => string;

const serializers = new Map<string, Serializer>();

const buildSerializer: SerializerFactory = (externalSchemas, serializerOpts) => {
  const compile = buildSerializerUncached(externalSchemas, serializerOpts);
  const context = JSON.stringify([externalSchemas ?? {}, serializerOpts ?? {}]);
  return (route) => {
    const key = `${context}\n${JSON.stringify(route.schema)}`;
    let serializer = serializers.get(key);
    if (!serializer) serializers.set(key, (serializer = compile(route) as Serializer));
    return serializer;
  };
};

export const sharedSchemaCompilers: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: { buildValidator, buildSerializer },
};
