import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKv, parseKvStrict, splitKv, splitKvToken, words } from '../../src/util/kv.js';

test('words: whitespace of any kind and length separates, none at the ends', () => {
  assert.deepEqual(words('  a\tb\n c  '), ['a', 'b', 'c']);
  assert.deepEqual(words(''), []);
  assert.deepEqual(words(undefined), []);
});

test('a pair has a key and a value; the value keeps its "=" and ","', () => {
  assert.deepEqual(splitKvToken('mode=4'), ['mode', '4']);
  assert.deepEqual(splitKvToken('arp_ip_target=10.0.0.1,10.0.0.2'), ['arp_ip_target', '10.0.0.1,10.0.0.2']);
  assert.deepEqual(splitKvToken('a==b'), ['a', '=b']);
  for (const bad of ['mode', '=4', 'mode=', '=']) assert.equal(splitKvToken(bad), undefined, bad);
});

test('splitKv: pairs in order, repeats kept, malformed tokens reported in order', () => {
  assert.deepEqual(splitKv(' mode=1  x miimon=100 mode=4 y= '), {
    pairs: [['mode', '1'], ['miimon', '100'], ['mode', '4']],
    bad: ['x', 'y='],
  });
});

test('parseKv: the last value wins, malformed tokens are ignored, any key is an own property', () => {
  assert.deepEqual(parseKv('forward_delay=0 junk multicast_snooping=0 forward_delay=400'), { forward_delay: '400', multicast_snooping: '0' });
  assert.deepEqual(parseKv(undefined), {});
  // The copies this replaces assigned into a plain object, where "__proto__" vanished.
  const odd = parseKv('__proto__=x');
  assert.equal(Object.hasOwn(odd, '__proto__'), true);
  assert.equal(odd['__proto__'], 'x');
  // The same tokens are malformed for every reader: an empty value is not a pair (the lenient
  // copies used to keep "k=" as an empty value that validation had rejected).
  assert.deepEqual(parseKv('stp_state= hello_time=200'), { hello_time: '200' });
});

test('parseKvStrict throws on the first malformed token, naming what it is', () => {
  assert.deepEqual(parseKvStrict('  mode=4   miimon=100 ', 'bond option'), { mode: '4', miimon: '100' });
  assert.throws(() => parseKvStrict('mode=4 lacp miimon', 'bond option'), /^Error: bond option "lacp" is not key=value$/);
  assert.throws(() => parseKvStrict('mode=', 'bond option'), /bond option "mode=" is not key=value/);
});
