// bin/typescript-loader.js runs Vigil's TypeScript in production (bin/vigil.js) and in the bench
// servers. What it must keep from tsc's semantics (tsconfig.json): imports kept as written, even
// a value import whose bindings go unused (verbatimModuleSyntax); [[Define]] class fields;
// function names; stack traces pointing at the .ts source.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('typescript loader', () => {
  it('runs a TypeScript file with tsc semantics and source-mapped stack traces', () => {
    const output = execFileSync(
      process.execPath,
      ['--import', './bin/typescript-loader.js', 'test/unit/fixtures/loader-probe.ts'],
      { cwd: root, encoding: 'utf8' },
    );
    const observed = JSON.parse(output) as Record<string, unknown>;
    expect(observed).toMatchObject({
      sideEffect: true,
      probe: { declared: 'field', parameter: 2 },
      name: 'named',
      server: null,
    });
    expect(observed.stackLine).toMatch(/test\/unit\/fixtures\/loader-probe\.ts:12:\d+/);
  });
});
