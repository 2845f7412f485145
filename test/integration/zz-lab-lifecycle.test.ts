// Lab lifecycle (issue 2): `lab down` removes every namespace, VM and process it started, and
// `lab up` over a running (or crashed) lab cleans it first. This stops and restarts the shared
// lab, so it runs only where asked (CI sets OVNH_TEST_LAB_LIFECYCLE=1; it runs last there).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { run } from '../../src/util/exec.js';
import { currentLab, labDown, labUp, labStatus, type LabState } from '../../src/lab/index.js';
import { processMatches } from '../../src/lab/state.js';

const enabled = process.env.OVNH_TEST_LAB_LIFECYCLE === '1';

async function netnsNames(): Promise<string[]> {
  const r = await run(['ip', '-json', 'netns', 'list'], { allowFailure: true });
  return r.stdout.trim() ? (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name) : [];
}

describe('lab lifecycle', { skip: enabled ? false : 'set OVNH_TEST_LAB_LIFECYCLE=1 (restarts the shared lab)' }, () => {
  it('lab up over a running lab replaces it; lab down leaves nothing behind', async () => {
    const before = await currentLab();
    const silent = () => undefined;
    const first = before ?? (await labUp({ log: silent }));
    const oldProcs = first.state.processes;
    // A second `lab up` with the first still running: the stale one is removed, a new one starts.
    const second = await labUp({ nodes: first.state.nodes, log: silent });
    for (const p of oldProcs) assert.equal(processMatches(p), false, `${p.name} (pid ${p.pid}) of the old lab still runs`);
    const status = await labStatus();
    assert.equal(status.apiReady, true);
    assert.ok(status.nodes.every((n) => n.reachable), JSON.stringify(status.nodes));

    const recorded: LabState = second.state;
    await labDown({ log: silent });
    for (const p of recorded.processes) assert.equal(processMatches(p), false, `${p.name} (pid ${p.pid}) survived lab down`);
    const ns = await netnsNames();
    for (const n of recorded.netns) assert.ok(!ns.includes(n), `netns ${n} survived lab down`);
    const qemu = await run(['pgrep', '-f', 'qemu-system-x86_64 -name ovnh-'], { allowFailure: true });
    assert.equal(qemu.stdout.trim(), '', 'a lab VM survived');
    assert.equal(existsSync(second.paths.dir), false, 'the lab directory survived');
    // Leave a lab running for whatever runs after (CI tears it down at the end).
    await labUp({ nodes: recorded.nodes, log: silent });
  });
});
