// Threat: SSRF through an address the classifier gets wrong — a private range it misses, or an
// encoding of one (IPv4-mapped IPv6) it does not recognise. Also: public addresses must pass.
import { describe, expect, it } from 'vitest';
import { checkWebhookAddress, parseCidrAllowlist } from './webhook-address-policy.ts';

describe('webhook address policy', () => {
  it('allows public IPv4 and IPv6 addresses', () => {
    for (const address of [
      '93.184.215.14',
      '8.8.8.8',
      '1.1.1.1',
      '192.0.43.10',
      '2606:4700:4700::1111',
      '2a00:1450:4001:80b::200e',
    ])
      expect(checkWebhookAddress(address, null), address).toEqual({ allowed: true });
  });

  it('blocks loopback, private, link-local, CGNAT, multicast, reserved, documentation and transition ranges', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.255.254',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.1.1',
      '100.64.0.1',
      '100.127.255.254',
      '224.0.0.1',
      '239.255.255.250',
      '240.0.0.1',
      '255.255.255.255',
      '0.0.0.0',
      '192.0.0.8',
      '192.0.2.1',
      '198.18.0.1',
      '198.51.100.1',
      '203.0.113.1',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '::ffff:8.8.8.8',
      '64:ff9b::a00:1',
      '2002:7f00:1::',
      '2001:db8::1',
      '2001::1',
      '::7f00:1',
    ])
      expect(checkWebhookAddress(address, null).allowed, address).toBe(false);
  });

  it('lets the installation allowlist open private ranges, never the metadata addresses', () => {
    const allowlist = parseCidrAllowlist(['10.20.0.0/16', '169.254.0.0/16', 'fd00::/8']);
    expect(checkWebhookAddress('10.20.3.4', allowlist)).toEqual({ allowed: true });
    expect(checkWebhookAddress('10.21.3.4', allowlist).allowed).toBe(false);
    expect(checkWebhookAddress('169.254.10.10', allowlist)).toEqual({ allowed: true });
    for (const metadata of ['169.254.169.254', '::ffff:169.254.169.254', 'fd00:ec2::254', '100.100.100.200'])
      expect(checkWebhookAddress(metadata, allowlist).allowed, metadata).toBe(false);
  });

  it('rejects malformed CIDRs', () => {
    for (const cidr of ['10.0.0.0/33', 'example.com/8', '10.0.0.0/x', '::/129'])
      expect(() => parseCidrAllowlist([cidr]), cidr).toThrow();
  });
});
