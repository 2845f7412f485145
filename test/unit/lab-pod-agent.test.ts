// The lab's pod process finder reads start times from /proc/PID/stat (lab/src/pod-agent.ts): the
// newest matching process is the running container's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { startTime } from '../../lab/src/pod-agent.js';

const line = (comm: string, state: string, start: number) =>
  `4242 (${comm}) ${state} ${Array.from({ length: 18 }, (_, i) => i + 1).join(' ')} ${start} 123 456`;

it('reads the start time after the command, whatever the command holds; none for a zombie or a short line', () => {
  for (const comm of ['node', 'a b', 'x) S 1 2 (y', ')', '((']) assert.equal(startTime(line(comm, 'S', 987654)), 987654, comm);
  assert.equal(startTime(line('node', 'Z', 5)), undefined);
  assert.equal(startTime(line('node', 'X', 5)), undefined);
  assert.equal(startTime('4242 (node) S 1 2'), undefined);
  assert.equal(startTime(''), undefined);
  const own = startTime(readFileSync('/proc/self/stat', 'latin1'));
  assert.ok(own !== undefined && own > 0, 'this process has a start time');
});
