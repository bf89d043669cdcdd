// Threats: a small body that is expensive to parse or walk (deeply nested or very wide JSON),
// and prototype pollution through `__proto__` / `constructor.prototype` keys.
import { describe, expect, it } from 'vitest';
import { parseJsonBody } from './parse-json-body.ts';

describe('JSON body limits', () => {
  it('parses ordinary documents, including brackets inside strings', () => {
    expect(parseJsonBody('{"a": [1, {"b": "[[[{{{"}], "c": "\\"}"}')).toEqual({ a: [1, { b: '[[[{{{' }], c: '"}' });
  });

  it('refuses nesting deeper than the limit', () => {
    const deep = `${'['.repeat(33)}${']'.repeat(33)}`;
    expect(() => parseJsonBody(deep)).toThrow(/nested deeper than 32/);
    expect(() => parseJsonBody(`${'['.repeat(32)}${']'.repeat(32)}`)).not.toThrow();
    expect(() => parseJsonBody(`${'['.repeat(100_000)}`)).toThrow(/nested deeper/);
  });

  it('refuses documents with too many members', () => {
    const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 10_001 }, (_, index) => [`k${index}`, index])));
    expect(() => parseJsonBody(wide)).toThrow(/more than 10000 members/);
  });

  it('refuses prototype-poisoning keys', () => {
    expect(() => parseJsonBody('{"__proto__": {"admin": true}}')).toThrow(/forbidden key/);
    expect(() => parseJsonBody('{"a": {"constructor": {"prototype": {"admin": true}}}}')).toThrow(/forbidden key/);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('refuses empty and malformed bodies with a clear message', () => {
    expect(() => parseJsonBody('  ')).toThrow(/empty/);
    expect(() => parseJsonBody('{"a":')).toThrow(/not valid JSON/);
  });
});
