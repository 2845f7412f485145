// IpSession: one `ip -batch -` for a transaction, fed group by group. A stand-in for ip that
// behaves as iproute2's batch loop does (lines in order; a line's output flushed as it ends; the
// first failing line reported as "Command failed -:N", N counting every line read, then exit)
// checks what the executor relies on: nothing written before run() is given it, a group is
// reported done only once all of it ran, and a failure is attributed to its line of its group.
// The real ip: test/integration/apply-netns.test.ts (every apply and every mid-plan failure).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpSession, SESSION_SENTINEL } from '../../src/apply/ipbatch.js';
import type { PipedProcess } from '../../src/util/exec.js';

/** A fake ip -batch process: fails lines that mention "bad"; records what it ran. */
function fakeIp(ran: string[], starts: string[][]): (argv: readonly string[]) => PipedProcess {
  return (argv) => {
    starts.push([...argv]);
    let out: (b: Buffer) => void = () => undefined;
    let err: (t: string) => void = () => undefined;
    let exit!: (c: number) => void;
    const exited = new Promise<number>((r) => (exit = r));
    let n = 0;
    let dead = false;
    let pending = '';
    return {
      write(text) {
        if (dead) return;
        pending += text;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          n++;
          if (line === SESSION_SENTINEL) {
            setImmediate(() => out(Buffer.from('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n    link/loopback 00:00\n')));
            continue;
          }
          ran.push(line);
          if (line.includes('bad')) {
            dead = true;
            const at = n;
            setImmediate(() => {
              err(`Cannot find device "bad"\nCommand failed -:${at}\n`);
              exit(1);
            });
            return;
          }
        }
      },
      end: () => setImmediate(() => exit(0)),
      onStdout: (f) => (out = f),
      onStderr: (f) => (err = f),
      exited,
    };
  };
}

test('IpSession: groups run in one process, each reported done once it ran, nothing sent ahead', async () => {
  const ran: string[] = [];
  const starts: string[][] = [];
  const s = new IpSession(() => ['ip', '-batch', '-'], fakeIp(ran, starts));
  s.warm();
  assert.deepEqual(ran, [], 'warm() starts ip and writes nothing');
  const r1 = await s.run([
    ['link', 'add', 'name', 'a', 'type', 'bridge'],
    ['link', 'add', 'name', 'b', 'type', 'bridge'],
  ]);
  assert.equal(r1.ok, true);
  assert.deepEqual(ran, ['link add name a type bridge', 'link add name b type bridge']);
  const r2 = await s.run([['link', 'set', 'dev', 'a', 'up']]);
  assert.equal(r2.ok, true);
  assert.equal(starts.length, 1, 'one process for both groups');
  await s.close();
});

test('IpSession: a failing line is named within its group (sentinels and earlier groups not counted)', async () => {
  const ran: string[] = [];
  const starts: string[][] = [];
  const s = new IpSession(() => ['ip', '-batch', '-'], fakeIp(ran, starts));
  assert.equal(
    (
      await s.run([
        ['link', 'set', 'dev', 'a', 'up'],
        ['link', 'set', 'dev', 'b', 'up'],
      ])
    ).ok,
    true,
  );
  const r = await s.run([
    ['link', 'set', 'dev', 'c', 'up'],
    ['link', 'set', 'dev', 'bad', 'up'],
    ['link', 'set', 'dev', 'd', 'up'],
  ]);
  assert.equal(r.ok, false);
  assert.equal(r.failure!.index, 1);
  assert.match(r.failure!.message, /Cannot find device "bad"/);
  assert.ok(!ran.includes('link set dev d up'), 'nothing after the failing line ran');
  // The failed process is gone: the next group starts another.
  assert.equal((await s.run([['link', 'set', 'dev', 'e', 'up']])).ok, true);
  assert.equal(starts.length, 2);
  await s.close();
});

test('IpSession: ip ending without naming a line of the group is -1 (any of it may have run)', async () => {
  const s = new IpSession(
    () => ['ip'],
    () => {
      let exit!: (c: number) => void;
      return {
        write: () => setImmediate(() => exit(137)),
        end: () => undefined,
        onStdout: () => undefined,
        onStderr: () => undefined,
        exited: new Promise<number>((r) => (exit = r)),
      };
    },
  );
  const r = await s.run([['link', 'set', 'dev', 'a', 'up']]);
  assert.equal(r.ok, false);
  assert.equal(r.failure!.index, -1);
  await assert.rejects(s.run([['link', 'del', 'dev', 'a']], { force: true }), /no -force/);
});

test("IpSession.query (-json): a dump's lines come back whole, lo's addr line not taken for the sentinel", async () => {
  const addrLo = '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK"],"mtu":65536,"addr_info":[]}]';
  const sentinel = '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK"],"mtu":65536,"link_type":"loopback"}]';
  let argv: readonly string[] = [];
  const s = new IpSession(
    (o) => ['ip', ...(o.json ? ['-json'] : []), '-batch', '-'],
    (a) => {
      argv = a;
      let out: (b: Buffer) => void = () => undefined;
      return {
        write(text) {
          // Output split mid-line and across lines, as a pipe may deliver it.
          const all = Buffer.from(
            text
              .trimEnd()
              .split('\n')
              .map((l) => (l === 'addr show' ? addrLo : l === 'route show' ? '[]' : sentinel))
              .join('\n') + '\n',
          );
          setImmediate(() => out(all.subarray(0, 10)));
          setImmediate(() => out(all.subarray(10)));
        },
        end: () => undefined,
        onStdout: (f) => (out = f),
        onStderr: () => undefined,
        exited: new Promise<number>(() => undefined),
      };
    },
    true,
  );
  assert.deepEqual(await s.query(['addr show', 'route show']), [addrLo, '[]']);
  assert.ok(argv.includes('-json'));
});

test('IpSession (-json): the -6 process runs -json too and answers query(…, 6); fresh until given a line', async () => {
  const starts: string[][] = [];
  const holds: string[] = [];
  const sentinel = '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK"],"mtu":65536,"link_type":"loopback"}]';
  const ended: number[] = [];
  const s = new IpSession(
    (o) => ['ip', ...(o.json ? ['-json'] : []), ...(o.family ? ['-6'] : []), '-batch', '-'],
    (a) => {
      const idx = starts.length;
      starts.push([...a]);
      const six = a.includes('-6');
      let out: (b: Buffer) => void = () => undefined;
      let exit!: (c: number) => void;
      return {
        write(text) {
          const lines = text.trimEnd().split('\n');
          const answer = lines.map((l) => (l === 'rule show' ? `[{"family":"${six ? 'inet6' : 'inet'}"}]` : sentinel));
          setImmediate(() => out(Buffer.from(answer.join('\n') + '\n')));
        },
        end: () => setImmediate(() => (ended.push(idx), exit(0))),
        onStdout: (f) => (out = f),
        onStderr: () => undefined,
        exited: new Promise<number>((r) => (exit = r)),
        ref: () => holds.push('ref'),
        unref: () => holds.push('unref'),
      };
    },
    true,
  );
  assert.equal(s.fresh, false, 'no process yet');
  s.warm();
  s.warm(6);
  assert.deepEqual(starts, [
    ['ip', '-json', '-batch', '-'],
    ['ip', '-json', '-6', '-batch', '-'],
  ]);
  assert.equal(s.fresh, true);
  s.hold(false);
  assert.deepEqual(holds, ['unref', 'unref']);
  s.hold(true);
  assert.deepEqual(await s.query(['rule show'], 6), ['[{"family":"inet6"}]']);
  assert.equal(s.fresh, false, 'a process given a line is no longer as new');
  assert.deepEqual(await s.query(['rule show']), ['[{"family":"inet"}]']);
  assert.equal(starts.length, 2, 'each query went to the process of its family');
  s.end();
  await s.close();
  assert.deepEqual(ended.sort(), [0, 1], "close() waits for the exits an earlier end() began");
});
