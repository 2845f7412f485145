// hostQos on this machine's own kernel, which has no sch_hfsc (nor the rest of VDSM's layout):
// the CLI refuses the spec at validation, naming the field and the missing kernel modules, and
// nothing on the host changes (links, qdiscs, no running config written). The namespace nodes
// of the lab run on this kernel; a namespace of the test's own stands for one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, VethNamespace } from './apply-support.js';
import { run } from '../../src/util/exec.js';

const rig = new VethNamespace('qos');
const { ns: NS, stateDir: STATE, resolv: RESOLV } = rig;

async function snapshot(): Promise<string> {
  const links = await run(['ip', '-n', NS, '-json', '-details', 'link', 'show']);
  const qd = await run(['ip', 'netns', 'exec', NS, 'tc', 'qdisc', 'show']);
  const parsed = (JSON.parse(links.stdout) as Record<string, unknown>[]).map((l) => {
    const { ifindex: _i, ...rest } = l;
    return rest;
  });
  return JSON.stringify(parsed) + '\n' + qd.stdout;
}

before(() => rig.up());
after(() => rig.down());

test('a kernel without sch_hfsc: hostQos refused at validation naming the field and the modules, nothing changed', async () => {
  const before = await snapshot();
  const spec = {
    networks: { n1: { nic: 'e1', bridged: false, hostQos: { out: { ls: { m2: 5 }, ul: { m2: 8_000_000 } } } } },
  };
  const r = await rig.cli(['apply', '-f', '-', '--state-dir', STATE, '--resolv-conf', RESOLV, '-q'], JSON.stringify(spec));
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stderr, /spec\.networks\.n1\.hostQos: needs kernel support this node lacks: .*sch_hfsc \(the HFSC qdisc\)/);
  assert.equal(await snapshot(), before, 'links and qdiscs as they were');
  assert.deepEqual(await readdir(STATE), [], 'no running config written');
  // The same network without hostQos is applied: the refusal was QoS's alone.
  const ok = await rig.cli(
    ['apply', '-f', '-', '--state-dir', STATE, '--resolv-conf', RESOLV, '-q', '--no-verify'],
    JSON.stringify({ networks: { n1: { nic: 'e1', bridged: false } } }),
  );
  assert.equal(ok.code, 0, ok.stderr);
});

test("tc -batch on this machine's tc: a delete of what is gone counts as done; a real failure is named by its line", async () => {
  const script = `
    const { runTcBatch } = await import(${JSON.stringify(join(ROOT, 'dist/src/apply/kernel.js'))});
    const gone = await runTcBatch([
      { kind: 'tc', args: ['filter', 'del', 'dev', 'e1', 'parent', '1389:', 'pref', '10'], okIfMissing: true },
      { kind: 'tc', args: ['class', 'del', 'dev', 'e1', 'classid', '1389:a'], okIfMissing: true },
      { kind: 'tc', args: ['qdisc', 'del', 'dev', 'e1', 'root'], okIfMissing: true },
    ], false);
    const failed = await runTcBatch([
      { kind: 'tc', args: ['qdisc', 'del', 'dev', 'e1', 'root'], okIfMissing: true },
      { kind: 'tc', args: ['qdisc', 'replace', 'dev', 'e1', 'root', 'handle', '1389:', 'hfsc', 'default', '1388'] },
      { kind: 'tc', args: ['qdisc', 'del', 'dev', 'e1', 'root'] },
    ], false);
    process.stdout.write(JSON.stringify({ gone, failed }));`;
  const r = await rig.exec([process.execPath, '--input-type=module', '-e', script], { allowFailure: true });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { gone: unknown[]; failed: { index: number; message: string }[] };
  assert.deepEqual(out.gone, []);
  assert.equal(out.failed.length, 1);
  assert.equal(out.failed[0]!.index, 1);
  assert.match(out.failed[0]!.message, /Specified qdisc kind is unknown/);
});
