import { z } from 'zod';
import { problemSchema } from '../../../contracts/problem.ts';
import type { AnyRouteDefinition } from './define-route.ts';

type JsonSchema = Record<string, unknown>;

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parametersFrom(schema: z.ZodType | undefined, location: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = toJsonSchema(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, propertySchema]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    schema: propertySchema,
    ...(typeof propertySchema.description === 'string' ? { description: propertySchema.description } : {}),
  }));
}

/** The OpenAPI 3.1 contract, generated from the same route declarations that serve requests. */
export function buildOpenApiDocument(routes: readonly AnyRouteDefinition[], info: { version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
  for (const route of routes) {
    if (route.hidden) continue;
    const responses: Record<string, JsonSchema> = {};
    for (const [status, response] of Object.entries(route.schema.responses)) {
      if (response instanceof z.ZodType) {
        responses[status] = {
          description: 'Success',
          content: { 'application/json': { schema: toJsonSchema(response, 'output') } },
        };
      } else {
        const described = response as { contentType: string; description: string };
        responses[status] = { description: described.description, content: { [described.contentType]: {} } };
      }
    }
    responses['4XX'] = { description: 'Client error (RFC 9457 problem document)', content: problem };
    responses['5XX'] = { description: 'Server error (RFC 9457 problem document)', content: problem };
    const operation: JsonSchema = {
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      operationId: `${route.method.toLowerCase()}${openApiPath(route.url).replace(/[^A-Za-z0-9]+(.)?/g, (_match, next?: string) => (next ? next.toUpperCase() : ''))}`,
      parameters: [...parametersFrom(route.schema.params, 'path'), ...parametersFrom(route.schema.query, 'query')],
      responses,
      'x-vigil-permission': route.permission,
      'x-vigil-audit': 'action' in route.audit ? route.audit.action : null,
      ...(route.permission === 'public' ? { security: [] } : {}),
    };
    if (route.schema.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: toJsonSchema(route.schema.body, 'input') } },
      };
    }
    const path = openApiPath(route.url);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Vigil API',
      version: info.version,
      description:
        'Errors are RFC 9457 problem documents whose `type` is `/problems/<code>`. Organisation resources live under `/api/orgs/{orgId}/`.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Problem: toJsonSchema(problemSchema, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    security: [{ bearer: [] }],
  };
}
