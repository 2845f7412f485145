import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalIpv6, canonicalIpv6Cidr, isIpv4, netmaskToPrefix, parseIpv4, prefixToNetmask,
} from '../../src/util/ip.js';

test('IPv4 parsing is strict', () => {
  assert.equal(parseIpv4('10.0.0.1'), 0x0a000001);
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['10.0.0', '10.0.0.1.2', '010.0.0.1', '256.0.0.1', '1.2.3.-1', '', 'a.b.c.d', '1.2.3.4 ']) {
    assert.equal(isIpv4(bad), false, bad);
  }
});

test('prefix <-> netmask', () => {
  assert.equal(prefixToNetmask(24), '255.255.255.0');
  assert.equal(prefixToNetmask(17), '255.255.128.0');
  assert.equal(prefixToNetmask(32), '255.255.255.255');
  assert.equal(prefixToNetmask(0), '0.0.0.0');
  for (let p = 0; p <= 32; p++) assert.equal(netmaskToPrefix(prefixToNetmask(p)), p);
  assert.equal(netmaskToPrefix('255.0.255.0'), undefined);
  assert.equal(netmaskToPrefix('255.255.255.1'), undefined);
  // Strict dotted quads only (the spec's netmask is written as `ip` prints it).
  for (const bad of ['255.255.255.000', '255.255.255', '255.255.255.0.0', '', ' 255.255.255.0', '255.255.255.256']) {
    assert.equal(netmaskToPrefix(bad), undefined, bad);
  }
  // Out-of-range prefixes clamp (the observer's copy did; the other wrapped: 33 gave 128.0.0.0).
  assert.equal(prefixToNetmask(33), '255.255.255.255');
  assert.equal(prefixToNetmask(-1), '0.0.0.0');
});

test('IPv6 canonical text is what the kernel prints (RFC 5952)', () => {
  const cases: [string, string | undefined][] = [
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8::0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8::1:0:0:0:1', '2001:db8:0:1::1'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
    ['fe80:0000::0001', 'fe80::1'],
    ['::ffff:10.1.2.3', '::ffff:10.1.2.3'],
    ['::ffff:a01:203', '::ffff:10.1.2.3'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['1::2::3', undefined],
    ['1:2:3:4:5:6:7', undefined],
    ['12345::', undefined],
    ['1.2.3.4', undefined],
  ];
  for (const [input, want] of cases) assert.equal(canonicalIpv6(input), want, input);
  assert.equal(canonicalIpv6Cidr('2001:DB8:0::5/64'), '2001:db8::5/64');
  assert.equal(canonicalIpv6Cidr('2001:db8::5'), undefined);
  assert.equal(canonicalIpv6Cidr('2001:db8::5/129'), undefined);
});
