// The one parser of /proc/PID/stat and reader of pid files (src/util/proc.ts).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { isLiveProcess, parseProcStat, readPidFile } from '../../src/util/proc.js';

const line = (comm: string, state: string, start: number) =>
  `4242 (${comm}) ${state} 7 9 ${Array.from({ length: 16 }, (_, i) => i + 1).join(' ')} ${start} 123 456`;

it('parses the command between the first "(" and the last ")", and the fields counted after it', () => {
  for (const comm of ['dhcpcd', 'a b', 'x) S 1 2 (y', ')', '((', ''])
    assert.deepEqual(parseProcStat(line(comm, 'S', 987654)), { comm, state: 'S', ppid: 7, pgrp: 9, startTime: 987654 }, comm);
  for (const bad of ['', '4242 (node) S 1 2', 'no parentheses at all 1 2 3', `4242 (n) S x 9 ${'1 '.repeat(20)}`])
    assert.equal(parseProcStat(bad), undefined, bad);
  const own = parseProcStat(readFileSync('/proc/self/stat', 'latin1'));
  assert.equal(own?.ppid, process.ppid);
  assert.equal(own?.state, 'R');
});

it('a live process by command; pid files hold a positive integer or nothing', async () => {
  const comm = parseProcStat(readFileSync('/proc/self/stat', 'latin1'))!.comm;
  assert.equal(await isLiveProcess(process.pid, [comm]), true);
  assert.equal(await isLiveProcess(process.pid, ['dhcpcd']), false);
  assert.equal(await isLiveProcess(2 ** 22 + 1, [comm]), false, 'no such pid');
  const dir = await mkdtemp(join(tmpdir(), 'ovnh-t-proc-'));
  try {
    const f = join(dir, 'pid');
    assert.equal(await readPidFile(f), undefined, 'no file');
    for (const [text, want] of [['123\n', 123], ['0', undefined], ['-5', undefined], ['1.5', undefined], ['12 3', undefined], ['', undefined], ['abc', undefined]] as const) {
      await writeFile(f, text);
      assert.equal(await readPidFile(f), want, JSON.stringify(text));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
