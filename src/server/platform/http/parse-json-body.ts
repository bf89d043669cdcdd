import { AppError } from '../errors/app-error.ts';

export const MAX_JSON_DEPTH = 32;
export const MAX_JSON_KEYS = 10_000;

/** Nesting depth of a JSON text, found in one pass before parsing (parsers recurse). */
function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const character = text.charCodeAt(index);
    if (inString) {
      if (character === 92)
        index += 1; // backslash: skip the escaped character
      else if (character === 34) inString = false;
      continue;
    }
    if (character === 34) inString = true;
    else if (character === 123 || character === 91) {
      depth += 1;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (character === 125 || character === 93) depth -= 1;
  }
  return deepest;
}

/**
 * Parses a request body with limits a generic parser lacks: nesting depth and key count (deep or
 * wide documents cost CPU and memory far beyond their byte size), and prototype-poisoning keys
 * (`__proto__`, `constructor.prototype`) refused outright.
 */
export function parseJsonBody(text: string, limits = { maxDepth: MAX_JSON_DEPTH, maxKeys: MAX_JSON_KEYS }): unknown {
  if (text.trim() === '') throw new AppError('bad-request', 'The body is empty but the content type says JSON.');
  if (jsonDepth(text, limits.maxDepth) > limits.maxDepth) {
    throw new AppError('bad-request', `The JSON body is nested deeper than ${limits.maxDepth} levels.`);
  }
  let keys = 0;
  try {
    return JSON.parse(text, function reviver(key, value) {
      keys += 1;
      if (keys > limits.maxKeys)
        throw new AppError('bad-request', `The JSON body has more than ${limits.maxKeys} members.`);
      if (
        key === '__proto__' ||
        (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value)
      ) {
        throw new AppError('bad-request', 'The JSON body contains a forbidden key.');
      }
      return value;
    });
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('bad-request', 'The body is not valid JSON.');
  }
}
