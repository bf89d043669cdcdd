#!/usr/bin/env node
// The `vigil` command. Vigil runs its TypeScript sources through tsx's loader, so there is no
// separate build step for the server (the web app is built by Vite).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  environment: process.env,
});
