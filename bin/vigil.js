#!/usr/bin/env node
// The `vigil` command. Vigil runs its TypeScript sources through its own loader (esbuild, one
// file at a time), so there is no separate build step for the server (the web app is built by
// Vite).
import './typescript-loader.js';

const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  environment: process.env,
});
