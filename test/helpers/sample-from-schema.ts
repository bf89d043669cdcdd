import { z } from 'zod';

type JsonSchema = {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

/**
 * A minimal valid-looking value for a zod schema, for tests that must get past validation to
 * reach authorisation (the route × role matrix). `uuid` fields take `uuidValue`, so the same
 * generator plants another organisation's ids (IDOR attempts) into bodies and query strings.
 */
export function sampleFromSchema(schema: z.ZodType, options: { uuidValue: string }): unknown {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return sample(json, options.uuidValue, 0);
}

function sample(schema: JsonSchema, uuidValue: string, depth: number): unknown {
  if (depth > 6) return null;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const variant = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (variant) return sample(variant, uuidValue, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((candidate) => candidate !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const result: Record<string, unknown> = {};
      for (const name of schema.required ?? []) {
        const property = schema.properties?.[name];
        if (property) result[name] = sample(property, uuidValue, depth + 1);
      }
      return result;
    }
    case 'array':
      return schema.items ? [sample(schema.items, uuidValue, depth + 1)] : [];
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    case 'string':
      return sampleString(schema, uuidValue);
    default:
      return null;
  }
}

// Values that satisfy the patterns our schemas use (codes, slugs, tokens).
const PATTERN_CANDIDATES = [
  '123456',
  'abcd-efgh-jkmn',
  'ABCD-EFGH-JKMN',
  'matrix-slug',
  'member.invited',
  'a'.repeat(43),
  'Matrix-Value-Correct-Horse-9',
];

function sampleString(schema: JsonSchema, uuidValue: string): string {
  switch (schema.format) {
    case 'uuid':
      return uuidValue;
    case 'email':
      return 'matrix@example.com';
    case 'date-time':
      return '2026-01-01T00:00:00.000Z';
    case 'date':
      return '2026-01-01';
    case 'uri':
    case 'url':
      return 'https://example.com/hook';
    default: {
      if (schema.pattern) {
        const pattern = new RegExp(schema.pattern);
        const candidate = PATTERN_CANDIDATES.find((value) => pattern.test(value));
        if (candidate) return candidate;
      }
      const length = Math.max(schema.minLength ?? 1, 1);
      // A 12+ character value that satisfies most password-like and name-like rules.
      const base = 'Matrix-Value-Correct-Horse-9';
      const text = base
        .repeat(Math.ceil(length / base.length))
        .slice(0, Math.max(length, Math.min(base.length, schema.maxLength ?? base.length)));
      return text;
    }
  }
}
