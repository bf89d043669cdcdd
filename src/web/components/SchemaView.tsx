import { deref, isRecord, type JsonObject, schemaTypeLabel } from '../lib/openapi.ts';
import { ChevronRightIcon } from './icons.tsx';
import { RichText } from './ui.tsx';

const MAX_DEPTH = 5;

interface ObjectShape {
  properties: [string, unknown][];
  required: Set<string>;
}

/** The properties of an object schema, merging `allOf` members. Null if it isn't an object schema. */
function objectShape(root: JsonObject, schema: unknown, seen: Set<unknown> = new Set()): ObjectShape | null {
  const resolved = deref(root, schema);
  if (!isRecord(resolved) || seen.has(resolved)) return null;
  seen.add(resolved);
  const properties: [string, unknown][] = [];
  const required = new Set<string>();
  let isObject = false;
  if (isRecord(resolved.properties)) {
    isObject = true;
    properties.push(...Object.entries(resolved.properties));
  }
  if (Array.isArray(resolved.required)) {
    for (const name of resolved.required) if (typeof name === 'string') required.add(name);
  }
  if (Array.isArray(resolved.allOf)) {
    for (const member of resolved.allOf) {
      const shape = objectShape(root, member, seen);
      if (!shape) continue;
      isObject = true;
      properties.push(...shape.properties);
      for (const name of shape.required) required.add(name);
    }
  }
  return isObject ? { properties, required } : null;
}

function constraints(schema: unknown): string[] {
  if (!isRecord(schema)) return [];
  const out: string[] = [];
  const pairs: [string, string][] = [
    ['minimum', '≥'],
    ['exclusiveMinimum', '>'],
    ['maximum', '≤'],
    ['exclusiveMaximum', '<'],
  ];
  for (const [key, symbol] of pairs) if (typeof schema[key] === 'number') out.push(`${symbol} ${schema[key]}`);
  if (typeof schema.minLength === 'number') out.push(`min length ${schema.minLength}`);
  if (typeof schema.maxLength === 'number') out.push(`max length ${schema.maxLength}`);
  if (typeof schema.minItems === 'number') out.push(`min items ${schema.minItems}`);
  if (typeof schema.maxItems === 'number') out.push(`max items ${schema.maxItems}`);
  // A format (uuid, email…) says more than the long regex generators emit alongside it.
  if (typeof schema.pattern === 'string' && typeof schema.format !== 'string') out.push(`pattern ${schema.pattern}`);
  if ('default' in schema) out.push(`default ${JSON.stringify(schema.default)}`);
  return out;
}

/** The schema nested under a property worth expanding: an object, or the items of an array of objects. */
function nestedShape(root: JsonObject, schema: unknown): ObjectShape | null {
  const resolved = deref(root, schema);
  if (!isRecord(resolved)) return null;
  const direct = objectShape(root, resolved);
  if (direct) return direct;
  if (resolved.type === 'array') return objectShape(root, resolved.items);
  return null;
}

function PropertyList({ root, shape, depth }: { root: JsonObject; shape: ObjectShape; depth: number }) {
  if (shape.properties.length === 0) return <div className="schema-empty">No properties.</div>;
  return (
    <ul className="schema-props">
      {shape.properties.map(([name, propSchema]) => {
        const resolved = deref(root, propSchema);
        const description =
          isRecord(resolved) && typeof resolved.description === 'string' ? resolved.description : null;
        const nested = depth < MAX_DEPTH ? nestedShape(root, propSchema) : null;
        const extra = constraints(resolved);
        return (
          <li key={name} className="schema-prop">
            <div className="schema-prop-head">
              <span className="schema-prop-name">{name}</span>
              <span className="schema-prop-type">{schemaTypeLabel(root, propSchema)}</span>
              {shape.required.has(name) ? <span className="schema-required">required</span> : null}
              {extra.map((text) => (
                <span key={text} className="schema-constraint">
                  {text}
                </span>
              ))}
            </div>
            {description ? (
              <p className="schema-prop-description">
                <RichText text={description} />
              </p>
            ) : null}
            {nested ? <PropertyList root={root} shape={nested} depth={depth + 1} /> : null}
          </li>
        );
      })}
    </ul>
  );
}

/** A readable view of a JSON Schema (object properties as a tree), with the raw schema one click away. */
export function SchemaView({ root, schema }: { root: JsonObject; schema: unknown }) {
  const shape = nestedShape(root, schema);
  const resolved = deref(root, schema);
  const description = isRecord(resolved) && typeof resolved.description === 'string' ? resolved.description : null;
  return (
    <div className="schema">
      <div className="schema-root">
        <span className="schema-prop-type">{schemaTypeLabel(root, schema)}</span>
        {description ? (
          <span className="schema-root-description">
            <RichText text={description} />
          </span>
        ) : null}
      </div>
      {shape ? <PropertyList root={root} shape={shape} depth={1} /> : null}
      <details className="schema-raw">
        <summary className="schema-raw-toggle">
          <ChevronRightIcon size={12} className="disclosure" />
          JSON Schema
        </summary>
        <pre className="code-block">{JSON.stringify(schema, null, 2)}</pre>
      </details>
    </div>
  );
}
