import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonEqual } from '../../src/util/json-equal.js';

test('jsonEqual: deep, key order ignored, undefined keys as absent', () => {
  assert.ok(jsonEqual({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 }));
  assert.ok(jsonEqual({ a: 1, b: undefined }, { a: 1 }));
  assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(!jsonEqual({ a: 1, c: 3 }, { a: 1, b: 3 }));
  assert.ok(!jsonEqual([1, 2], [2, 1]));
  assert.ok(!jsonEqual([], {}));
  assert.ok(!jsonEqual(null, {}));
  assert.ok(!jsonEqual(1, '1'));
  assert.ok(jsonEqual(undefined, undefined));
});
