import { z } from 'zod';

/**
 * A deliberately loose reading of an OpenAPI 3.1 document: enough to render a reference page,
 * tolerant of anything extra (and of a document with very few paths).
 */
const documentSchema = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({
    title: z.string(),
    version: z.string(),
    description: z.string().optional(),
  }),
  tags: z.array(z.looseObject({ name: z.string(), description: z.string().optional() })).optional(),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  components: z.record(z.string(), z.unknown()).optional(),
});

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type JsonObject = Record<string, unknown>;

export interface MediaContent {
  mediaType: string;
  schema: unknown;
}

export interface Parameter {
  name: string;
  in: string;
  required: boolean;
  description: string | null;
  schema: unknown;
}

export interface RequestBody {
  required: boolean;
  description: string | null;
  content: MediaContent[];
}

export interface ResponseEntry {
  code: string;
  description: string | null;
  content: MediaContent[];
}

export interface Operation {
  id: string;
  method: HttpMethod;
  path: string;
  summary: string | null;
  description: string | null;
  operationId: string | null;
  tags: string[];
  permission: string | null;
  /** The audit-log action the route records (`x-vigil-audit`), if any. */
  audit: string | null;
  /** True when the operation declares `security: []` or the `public` permission. */
  explicitlyPublic: boolean;
  deprecated: boolean;
  parameters: Parameter[];
  requestBody: RequestBody | null;
  responses: ResponseEntry[];
}

export interface TagGroup {
  name: string;
  description: string | null;
  operations: Operation[];
}

export interface ApiDocument {
  openapi: string;
  title: string;
  version: string;
  description: string | null;
  groups: TagGroup[];
  operationCount: number;
  /** The raw document, for resolving `$ref`s. */
  raw: JsonObject;
}

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** Follows a local `$ref` (`#/components/schemas/Thing`) through the document. Returns null if it cannot. */
export function resolvePointer(root: JsonObject, ref: string): unknown {
  if (!ref.startsWith('#/')) return null;
  let node: unknown = root;
  for (const rawSegment of ref.slice(2).split('/')) {
    const segment = decodeURIComponent(rawSegment).replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isRecord(node)) return null;
    node = node[segment];
  }
  return node ?? null;
}

/** Resolves a node that may be a `{ $ref }`, following a bounded chain of references. */
export function deref(root: JsonObject, node: unknown): unknown {
  let current = node;
  for (let hops = 0; hops < 8 && isRecord(current) && typeof current.$ref === 'string'; hops++) {
    const target = resolvePointer(root, current.$ref);
    if (target === null) return current;
    current = target;
  }
  return current;
}

function readContent(value: unknown): MediaContent[] {
  if (!isRecord(value)) return [];
  return Object.entries(value).map(([mediaType, media]) => ({
    mediaType,
    schema: isRecord(media) ? (media.schema ?? null) : null,
  }));
}

function readParameters(root: JsonObject, ...lists: unknown[]): Parameter[] {
  const byKey = new Map<string, Parameter>();
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const param = deref(root, item);
      if (!isRecord(param)) continue;
      const name = str(param.name);
      const location = str(param.in);
      if (!name || !location) continue;
      // Operation-level parameters override path-level ones with the same name and location.
      byKey.set(`${location}:${name}`, {
        name,
        in: location,
        required: param.required === true || location === 'path',
        description: str(param.description),
        schema: param.schema ?? null,
      });
    }
  }
  const order = ['path', 'query', 'header', 'cookie'];
  return [...byKey.values()].sort((a, b) => order.indexOf(a.in) - order.indexOf(b.in));
}

function readOperation(
  root: JsonObject,
  path: string,
  method: HttpMethod,
  raw: JsonObject,
  pathItem: JsonObject,
): Operation {
  const body = deref(root, raw.requestBody);
  const responses = isRecord(raw.responses) ? raw.responses : {};
  const rawPermission = raw['x-vigil-permission'];
  const permission =
    typeof rawPermission === 'string'
      ? rawPermission
      : Array.isArray(rawPermission)
        ? rawPermission.filter((p): p is string => typeof p === 'string').join(', ') || null
        : null;
  const isPublic = permission === 'public' || (Array.isArray(raw.security) && raw.security.length === 0);
  return {
    id: `${method}-${path}`,
    method,
    path,
    summary: str(raw.summary),
    description: str(raw.description),
    operationId: str(raw.operationId),
    tags: Array.isArray(raw.tags) ? raw.tags.filter((tag): tag is string => typeof tag === 'string') : [],
    permission: permission === 'public' ? null : permission,
    audit: str(raw['x-vigil-audit']),
    explicitlyPublic: isPublic,
    deprecated: raw.deprecated === true,
    parameters: readParameters(root, pathItem.parameters, raw.parameters),
    requestBody: isRecord(body)
      ? { required: body.required === true, description: str(body.description), content: readContent(body.content) }
      : null,
    responses: Object.entries(responses)
      .map(([code, value]) => {
        const response = deref(root, value);
        return {
          code,
          description: isRecord(response) ? str(response.description) : null,
          content: isRecord(response) ? readContent(response.content) : [],
        };
      })
      .sort((a, b) => a.code.localeCompare(b.code)),
  };
}

const UNTAGGED = 'Other';

export function parseOpenApiDocument(body: unknown): ApiDocument {
  const doc = documentSchema.parse(body);
  const raw = body as JsonObject;
  const declaredTags = doc.tags ?? [];
  const groups = new Map<string, TagGroup>();
  for (const tag of declaredTags) {
    groups.set(tag.name, { name: tag.name, description: tag.description ?? null, operations: [] });
  }

  let operationCount = 0;
  for (const [path, pathItem] of Object.entries(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const rawOperation = pathItem[method];
      if (!isRecord(rawOperation)) continue;
      const operation = readOperation(raw, path, method, rawOperation, pathItem);
      operationCount++;
      const tag = operation.tags[0] ?? UNTAGGED;
      let group = groups.get(tag);
      if (!group) {
        group = { name: tag, description: null, operations: [] };
        groups.set(tag, group);
      }
      group.operations.push(operation);
    }
  }

  const declared = new Set(declaredTags.map((tag) => tag.name));
  const ordered = [...groups.values()]
    .filter((group) => group.operations.length > 0)
    .sort((a, b) => {
      // Declared tags keep their document order; undeclared ones follow alphabetically; untagged last.
      if (a.name === UNTAGGED && !declared.has(UNTAGGED)) return 1;
      if (b.name === UNTAGGED && !declared.has(UNTAGGED)) return -1;
      const ai = declared.has(a.name) ? declaredTags.findIndex((t) => t.name === a.name) : Number.POSITIVE_INFINITY;
      const bi = declared.has(b.name) ? declaredTags.findIndex((t) => t.name === b.name) : Number.POSITIVE_INFINITY;
      if (ai !== bi) return ai - bi;
      return a.name.localeCompare(b.name);
    });
  for (const group of ordered) {
    group.operations.sort(
      (a, b) => a.path.localeCompare(b.path) || HTTP_METHODS.indexOf(a.method) - HTTP_METHODS.indexOf(b.method),
    );
  }

  return {
    openapi: doc.openapi,
    title: doc.info.title,
    version: doc.info.version,
    description: doc.info.description ?? null,
    groups: ordered,
    operationCount,
    raw,
  };
}

/** A one-line type label for a JSON schema: "string (uuid)", "array of Deal", "integer ≥ 1"… */
export function schemaTypeLabel(root: JsonObject, schema: unknown): string {
  if (schema === true || schema === undefined || schema === null) return 'any';
  if (schema === false) return 'never';
  if (!isRecord(schema)) return 'unknown';
  if (typeof schema.$ref === 'string') {
    return schema.$ref.split('/').pop() ?? 'object';
  }
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  for (const key of ['oneOf', 'anyOf'] as const) {
    const variants = schema[key];
    if (Array.isArray(variants)) return variants.map((v) => schemaTypeLabel(root, v)).join(' | ');
  }
  if (Array.isArray(schema.allOf)) return schema.allOf.map((v) => schemaTypeLabel(root, v)).join(' & ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : str(schema.type);
  if (type === 'array') return `array of ${schemaTypeLabel(root, schema.items)}`;
  const base = type ?? (isRecord(schema.properties) ? 'object' : 'any');
  const format = str(schema.format);
  return format ? `${base} (${format})` : base;
}
