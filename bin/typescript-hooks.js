// Module hooks that let Node run Vigil's TypeScript sources directly: each .ts file outside
// node_modules is transformed by esbuild as it is loaded (types stripped, nothing bundled).
// Registered by typescript-loader.js. See docs/adr/0014-own-typescript-loader.md for why this
// replaced tsx.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

// The compiler options that change emitted code, as tsconfig.json sets them: imports are kept
// as written (a value import is never dropped as "maybe a type"), class fields use [[Define]].
const tsconfigRaw = { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } };

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const result = await transform(await readFile(path, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: path,
    tsconfigRaw,
  });
  return { format: 'module', source: result.code, shortCircuit: true };
}
