// CPU seconds from /proc/PID/stat: own and reaped children's times, whatever the command's name
// holds (a comm may contain spaces and parentheses; the fields start after the last ")").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { statCpuSeconds } from '../../lab/client/index.js';

const line = (comm: string, utime: number, stime: number, cutime: number, cstime: number) =>
  `4242 (${comm}) S 1 4242 4242 0 -1 4194560 100 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0 12345 1000 100`;

test('own and reaped children\'s ticks are summed, at 100 ticks a second', () => {
  assert.equal(statCpuSeconds(line('sh', 1, 2, 30, 40)), 0.73);
  assert.equal(statCpuSeconds(line('sh', 0, 0, 0, 0)), 0);
});

test('a command name with spaces and parentheses does not shift the fields', () => {
  for (const comm of ['a b', 'x) (y', ') ) )', '(sd-pam)']) assert.equal(statCpuSeconds(line(comm, 5, 5, 0, 0)), 0.1, comm);
});

test('this process\'s own stat line parses to a finite, non-negative figure', () => {
  const s = statCpuSeconds(readFileSync('/proc/self/stat', 'utf8'));
  assert.ok(Number.isFinite(s) && s >= 0, String(s));
});
