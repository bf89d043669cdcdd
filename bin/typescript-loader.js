// `node --import ./bin/typescript-loader.js file.ts` runs Vigil's TypeScript without a build
// step; bin/vigil.js imports it first. Stack traces point at the .ts sources.
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./typescript-hooks.js', import.meta.url);
