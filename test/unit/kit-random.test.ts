// The experiments' seeded generator (kit/random.ts): a seed draws the same sequence again, a
// different seed another one, and the values stay in range.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32, randomInt, streamSeed } from '../../kit/random.js';

const draw = (seed: number, n: number) => {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => r());
};

test('the same seed draws the same sequence; a different seed another', () => {
  assert.deepEqual(draw(42, 100), draw(42, 100));
  assert.notDeepEqual(draw(42, 100), draw(43, 100));
  // mulberry32's first output for seed 0, as its reference implementation gives it.
  assert.equal(Math.round(draw(0, 1)[0]! * 4294967296), 1144304738);
});

test('values are in [0, 1) and integers in [0, n), spread over the range', () => {
  const r = mulberry32(7);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const v = r();
    assert.ok(v >= 0 && v < 1, String(v));
    const k = randomInt(r, 10);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 10, String(k));
    seen.add(k);
  }
  assert.equal(seen.size, 10);
});

test("each experiment has its own stream of a run's seed", () => {
  assert.equal(streamSeed(5, 'kill'), streamSeed(5, 'kill'));
  assert.notEqual(streamSeed(5, 'kill'), streamSeed(5, 'powerloss'));
  assert.notEqual(streamSeed(5, 'kill'), streamSeed(6, 'kill'));
  assert.notDeepEqual(draw(streamSeed(5, 'kill'), 10), draw(streamSeed(5, 'powerloss'), 10));
});
