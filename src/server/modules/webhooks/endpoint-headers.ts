import type { Keyring } from '../../platform/crypto/keyring.ts';
import { customHeadersPlace } from './webhook-secret.ts';

/** Seals an endpoint's custom headers (values may be receivers' API keys); null when there are none. */
export async function sealCustomHeaders(
  keyring: Pick<Keyring, 'seal'>,
  place: { orgId: string; endpointId: string },
  headers: Record<string, string>,
): Promise<string | null> {
  if (Object.keys(headers).length === 0) return null;
  return keyring.seal(JSON.stringify(headers), customHeadersPlace(place.orgId, place.endpointId));
}

export async function openCustomHeaders(
  keyring: Pick<Keyring, 'openText'>,
  place: { orgId: string; endpointId: string },
  sealed: string | null,
): Promise<Record<string, string>> {
  if (sealed === null) return {};
  return JSON.parse(await keyring.openText(sealed, customHeadersPlace(place.orgId, place.endpointId))) as Record<
    string,
    string
  >;
}
