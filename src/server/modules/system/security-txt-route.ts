import type { Config } from '../../config.ts';
import type { Clock } from '../../platform/clock.ts';
import { type AnyRouteDefinition, defineRoute } from '../../platform/http/define-route.ts';

/**
 * RFC 9116 security.txt: where to report vulnerabilities. `Expires` is always 180 days ahead so
 * the file never goes stale on a long-running installation (the RFC wants less than a year).
 */
export function securityTxtRoute(options: { config: Config; clock: Clock }): AnyRouteDefinition {
  return defineRoute({
    method: 'GET',
    url: '/.well-known/security.txt',
    summary: 'Security contact (RFC 9116)',
    tags: ['system'],
    permission: 'public',
    audit: { optOut: 'public static document' },
    schema: { responses: { 200: { contentType: 'text/plain', description: 'security.txt' } } },
    handler: async ({ reply, request }) => {
      const base = options.config.publicUrl ?? `${request.protocol}://${request.hostname}`;
      const expires = new Date(options.clock.now().getTime() + 180 * 86_400_000);
      reply.type('text/plain; charset=utf-8');
      return [
        `Contact: ${options.config.securityContact}`,
        `Expires: ${expires.toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
        'Preferred-Languages: en',
        `Canonical: ${base.replace(/\/$/, '')}/.well-known/security.txt`,
        `Policy: ${base.replace(/\/$/, '')}/security`,
        '',
      ].join('\n');
    },
  });
}
