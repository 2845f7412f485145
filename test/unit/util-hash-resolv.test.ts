import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fnv1a32 } from '../../src/util/hash.js';
import { resolvContent, resolvNameservers } from '../../src/util/resolv.js';

test('fnv1a32: the published FNV-1a 32-bit test vectors, unsigned', () => {
  // From the FNV reference (ASCII input, where code units and bytes agree).
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  for (const s of ['', 'a', 'enp0s31f6abcd', 'x'.repeat(100)]) {
    const h = fnv1a32(s);
    assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff, s);
  }
});

test('resolvNameservers: nameserver lines only, first word, file order', () => {
  assert.deepEqual(resolvNameservers('# x\nnameserver 192.0.2.53\n  nameserver\t2001:db8::53 # c\nsearch example\n#nameserver 9.9.9.9\nnameserver\n'), ['192.0.2.53', '2001:db8::53']);
  assert.deepEqual(resolvNameservers(undefined), []);
  assert.deepEqual(resolvNameservers('nameserver  10.0.0.1 '), ['10.0.0.1']); // one line, as the observer's dump gives it
});

test('resolvContent: other lines kept, nameservers replaced, and it reads back as written', () => {
  const current = 'search example\nnameserver 10.0.0.1\n\noptions ndots:2\nnameserver 10.0.0.2\n';
  const next = resolvContent(current, ['192.0.2.1', '::1']);
  assert.equal(next, 'search example\noptions ndots:2\nnameserver 192.0.2.1\nnameserver ::1\n');
  assert.deepEqual(resolvNameservers(next), ['192.0.2.1', '::1']);
  assert.equal(resolvContent(next, []), 'search example\noptions ndots:2\n');
});
