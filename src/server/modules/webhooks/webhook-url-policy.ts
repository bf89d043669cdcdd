import { lookup } from 'node:dns/promises';
import { isIP, type BlockList } from 'node:net';
import { checkWebhookAddress } from './webhook-address-policy.ts';

/** Resolves a host name to every address it has. Injected so tests can simulate any DNS answer. */
export type ResolveHost = (hostname: string) => Promise<{ address: string; family: 4 | 6 }[]>;

export const systemResolveHost: ResolveHost = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => ({
    address: entry.address,
    family: entry.family === 6 ? 6 : 4,
  }));

export type WebhookUrlPolicy = { allowHttp: boolean; allowlist: BlockList | null; resolveHost: ResolveHost };

/** Why a URL or its addresses are refused; `dns` when the name does not resolve at all. */
export class WebhookUrlRejected extends Error {
  override name = 'WebhookUrlRejected';
  constructor(
    message: string,
    readonly kind: 'invalid' | 'blocked' | 'dns',
  ) {
    super(message);
  }
}

export type CheckedTarget = { url: URL; hostname: string; address: string; family: 4 | 6 };

/**
 * The static part of the policy: scheme, credentials, port, and IP literals in any spelling (the
 * WHATWG parser turns `2130706433` and `0177.0.0.1` into `127.0.0.1` before we look).
 */
export function parseWebhookUrl(text: string, policy: Pick<WebhookUrlPolicy, 'allowHttp' | 'allowlist'>): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookUrlRejected('is not a valid URL', 'invalid');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp))
    throw new WebhookUrlRejected(
      policy.allowHttp ? 'must be an http:// or https:// URL' : 'must be an https:// URL',
      'invalid',
    );
  if (url.username || url.password) throw new WebhookUrlRejected('must not contain credentials', 'invalid');
  if (url.hash) throw new WebhookUrlRejected('must not contain a fragment', 'invalid');
  const hostname = bareHostname(url);
  if (!hostname) throw new WebhookUrlRejected('has no host', 'invalid');
  if (isIP(hostname)) {
    const verdict = checkWebhookAddress(hostname, policy.allowlist);
    if (!verdict.allowed) throw new WebhookUrlRejected(`points at a blocked address: ${verdict.reason}`, 'blocked');
  } else if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    throw new WebhookUrlRejected('points at a blocked address: localhost', 'blocked');
  }
  return url;
}

export function bareHostname(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Resolves a host name and checks EVERY address (a name with one public and one private address
 * is refused, not raced). Returns the address to connect to: the connection is pinned to it, so a
 * second, different DNS answer (rebinding) is never used.
 */
export async function resolveCheckedAddress(
  hostname: string,
  policy: Pick<WebhookUrlPolicy, 'allowlist' | 'resolveHost'>,
): Promise<{ address: string; family: 4 | 6 }> {
  let addresses: { address: string; family: 4 | 6 }[];
  try {
    addresses = await policy.resolveHost(hostname);
  } catch (error) {
    throw new WebhookUrlRejected(
      `${hostname} does not resolve (${(error as { code?: string }).code ?? 'error'})`,
      'dns',
    );
  }
  if (addresses.length === 0) throw new WebhookUrlRejected(`${hostname} does not resolve`, 'dns');
  for (const candidate of addresses) {
    const verdict = checkWebhookAddress(candidate.address, policy.allowlist);
    if (!verdict.allowed)
      throw new WebhookUrlRejected(`${hostname} resolves to a blocked address: ${verdict.reason}`, 'blocked');
  }
  return addresses[0] as { address: string; family: 4 | 6 };
}

/** The URL's static check, then its host's addresses (see resolveCheckedAddress). */
export async function resolveWebhookTarget(text: string, policy: WebhookUrlPolicy): Promise<CheckedTarget> {
  const url = parseWebhookUrl(text, policy);
  const hostname = bareHostname(url);
  const literal = isIP(hostname);
  if (literal) return { url, hostname, address: hostname, family: literal === 6 ? 6 : 4 };
  return { url, hostname, ...(await resolveCheckedAddress(hostname, policy)) };
}
