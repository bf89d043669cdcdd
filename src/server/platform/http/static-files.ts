import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_BUILD_DIRECTORY = fileURLToPath(new URL('../../../../dist/web/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
};

export type StaticFile = { body: Buffer; contentType: string; etag: string; immutable: boolean };

/**
 * The built web app, read into memory once at start-up (it is a few hundred KB). Serving from a
 * map means a request path can never reach the file system, so path traversal is impossible by
 * construction.
 */
export function loadStaticFiles(directory = WEB_BUILD_DIRECTORY): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(directory)) return files;
  const walk = (current: string) => {
    for (const entry of readdirSync(current)) {
      const full = path.join(current, entry);
      if (statSync(full).isDirectory()) {
        walk(full);
        continue;
      }
      const contentType = CONTENT_TYPES[path.extname(entry)];
      if (!contentType) continue;
      const body = readFileSync(full);
      const urlPath = `/${path.relative(directory, full).split(path.sep).join('/')}`;
      files.set(urlPath, {
        body,
        contentType,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        // Vite puts content hashes in asset names, so they never change under the same URL.
        immutable: urlPath.startsWith('/assets/'),
      });
    }
  };
  walk(directory);
  return files;
}
