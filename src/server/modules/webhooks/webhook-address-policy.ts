import { BlockList, isIP } from 'node:net';

/*
 * Which IP addresses a webhook may connect to. Threat: server-side request forgery — an endpoint
 * URL (or a name that resolves, or re-resolves, to an address) pointing Vigil at the cloud
 * metadata service, the database, or anything else on the private network.
 */

/** Never reachable, whatever the installation allowlist says: cloud instance metadata services. */
const METADATA_ADDRESSES = new BlockList();
METADATA_ADDRESSES.addAddress('169.254.169.254', 'ipv4'); // AWS, GCP, Azure, OpenStack
METADATA_ADDRESSES.addAddress('169.254.170.2', 'ipv4'); // AWS ECS task metadata
METADATA_ADDRESSES.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud
METADATA_ADDRESSES.addAddress('fd00:ec2::254', 'ipv6'); // AWS over IPv6

/*
 * Not public: loopback, private, link-local, CGNAT, multicast, documentation, reserved, transition.
 * Two lists: node's BlockList matches IPv4 addresses against IPv6 rules through their mapped form,
 * so ::ffff:0:0/96 in a shared list would block every IPv4 address.
 */
const NON_PUBLIC_V4 = new BlockList();
const NON_PUBLIC_V6 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (and the metadata address)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  NON_PUBLIC_V4.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::ffff:0:0', 96], // IPv4-mapped: would reach any IPv4 address, checked or not
  ['::', 96], // IPv4-compatible (deprecated)
  ['64:ff9b::', 96], // NAT64
  ['64:ff9b:1::', 48], // local NAT64
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments (Teredo among them)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  NON_PUBLIC_V6.addSubnet(network, prefix, 'ipv6');

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** The installation allowlist (VIGIL_WEBHOOK_ALLOWED_CIDRS) as a BlockList of allowed ranges. */
export function parseCidrAllowlist(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network = '', prefixText] = cidr.split('/');
    const family = isIP(network);
    if (family === 0) throw new Error(`not a CIDR: ${cidr}`);
    const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128))
      throw new Error(`not a CIDR: ${cidr}`);
    list.addSubnet(network, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/** Decides whether Vigil may open a connection to `address` (an IP literal, no brackets). */
export function checkWebhookAddress(address: string, allowlist: BlockList | null): AddressVerdict {
  const family = isIP(address);
  if (family === 0) return { allowed: false, reason: `${address} is not an IP address` };
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (METADATA_ADDRESSES.check(address, type))
    return { allowed: false, reason: 'the metadata address is never allowed' };
  const nonPublic = family === 4 ? NON_PUBLIC_V4.check(address, 'ipv4') : NON_PUBLIC_V6.check(address, 'ipv6');
  if (!nonPublic) return { allowed: true };
  // IPv4-mapped addresses are matched against IPv4 ranges too, so 10.0.0.0/8 covers ::ffff:10.x.
  if (allowlist?.check(address, type)) return { allowed: true };
  return { allowed: false, reason: `${address} is not a public address` };
}
