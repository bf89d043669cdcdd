import { z } from 'zod';
import { AppError } from '../../platform/errors/app-error.ts';
import { type AnyRouteDefinition, defineRoute } from '../../platform/http/define-route.ts';
import type { StaticFile } from '../../platform/http/static-files.ts';

const NOT_BUILT = Buffer.from(
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vigil</title></head>' +
    '<body><h1>Vigil</h1><p>The web app is not built. Run <code>npm run build:web</code> (npm start does it).</p></body></html>',
);

/**
 * The web app: hashed assets from memory, and index.html for every other GET outside the API
 * (client-side routing). Unknown /api/ paths stay problem documents.
 */
export function webAppRoutes(files: Map<string, StaticFile>): AnyRouteDefinition[] {
  const index = files.get('/index.html');
  return [
    defineRoute({
      method: 'GET',
      url: '/*',
      summary: 'Web app',
      tags: ['web'],
      hidden: true,
      permission: 'public',
      audit: { optOut: 'static content' },
      schema: {
        params: z.object({ '*': z.string() }),
        responses: { 200: { contentType: 'text/html', description: 'Web app' } },
      },
      handler: async ({ request, reply }) => {
        const path = request.url.split('?')[0] ?? '/';
        if (path.startsWith('/api/') || path === '/api') throw new AppError('not-found');
        const file = files.get(path);
        const served = file ?? (path.startsWith('/assets/') ? undefined : index);
        if (!served) {
          if (!index && !path.startsWith('/assets/')) {
            reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
            return NOT_BUILT;
          }
          throw new AppError('not-found');
        }
        reply
          .type(served.contentType)
          .header('etag', served.etag)
          .header('cache-control', served.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
        if (request.headers['if-none-match'] === served.etag) return reply.code(304).send();
        return served.body;
      },
    }),
  ];
}
