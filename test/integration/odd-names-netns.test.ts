// Foreign devices with names no spec may hold, made by hand on this kernel (the kernel takes
// ESC, BEL, DEL, quotes, backslashes, '#', globs and bytes that are not UTF-8 in names), in a
// namespace of the test's own: `ip -json` prints them raw, and before the observer escaped them
// every host read failed, so show, plan, apply, restore and the agent's start all did. Now the
// CLI reads the host, reports them with their exact names (escaped in its output), refuses a
// spec naming one, and plans, applies, restores and removes a network beside them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { observeHost } from '../../src/observe/index.js';
import { decodeBytes, run, type RunOptions, type RunResult } from '../../src/util/exec.js';
import { BIN, VethNamespace } from './apply-support.js';

const rig = new VethNamespace('odd', { peer: 'e1p', loUp: true, peerUp: true });
const { ns, stateDir, resolv: resolvConf } = rig;

/** The foreign bridges, as printf(1) formats (octal escapes: any byte). */
const ODD = [
  '\\033[31mred\\033[0m', // an ESC sequence that would recolour a terminal
  'bel\\007', 'del\\177', 'q\\042uote', 'back\\134slash', 'hash\\043x', 'sq\\047x', 'ff\\377x', 'c1\\302\\233x',
  'x\\001y', 'glob*', 'what?', '$(reboot)', 'semi;colon', '\\055dash', 'bs\\010x',
];
const bytesOf = (fmt: string) => Buffer.from(fmt.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), 'latin1');
const NAMES = ODD.map((f) => decodeBytes(bytesOf(f)));

function cli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return rig.exec([process.execPath, BIN, ...args], { allowFailure: true, ...opts });
}
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

const NET1 = { networks: { net1: { nic: 'e1', ipaddr: '192.0.2.10', prefix: 24 } } };

before(async () => {
  await rig.up();
  // By hand, as an administrator (or an attacker with CAP_NET_ADMIN) would: straight to ip.
  const script = ODD.map((f) => `ip link add name "$(printf '${f}')" type bridge`).join('\n')
    // The first one up with an address and a route in a table of its own: its name is in the route dump too.
    + `\nd="$(printf '${ODD[0]}')"; ip link set "$d" up; ip addr add 198.51.100.2/24 dev "$d"; ip route add default via 198.51.100.1 dev "$d" table 77`;
  await rig.exec(['sh', '-ec', script]);
});

after(() => rig.down());

describe('foreign devices with odd names do not blind the handler', () => {
  it('the kernel has them, and ip -json prints them raw (what broke every read)', async () => {
    const r = await run(['ip', '-n', ns, '-json', 'link', 'show'], { decode: 'bytes' });
    assert.throws(() => JSON.parse(r.stdout), /control character/i);
  });

  it('the observer reads every device with its exact name, and its route', async () => {
    const host = await observeHost({ netns: ns, routes: 'all' });
    for (const n of NAMES) assert.ok(host.links[n], `${JSON.stringify(n)} read`);
    assert.ok(host.links.e1 && host.links.lo);
    assert.ok(host.routes.some((r) => r.dev === NAMES[0] && r.table === '77' && r.gateway === '198.51.100.1'));
  });

  it('show --json, show and show --tree work; the names are exact in JSON, never raw control characters', async () => {
    const json = await cli(['show', '--json', '--state-dir', stateDir]);
    assert.equal(json.code, 0, json.stderr);
    // JSON (and YAML) escape C0 controls; DEL and C1 controls are legal raw there and stay so.
    const C0 = /[\x00-\x09\x0b-\x1f]/;
    assert.doesNotMatch(json.stdout, C0);
    const caps = (JSON.parse(json.stdout) as { capabilities: { bridges: Record<string, unknown>; nics: Record<string, unknown> } }).capabilities;
    for (const n of NAMES) assert.ok(n in caps.bridges, `${JSON.stringify(n)} reported`);
    assert.ok('e1' in caps.nics);
    const yaml = await cli(['show', '--state-dir', stateDir]);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.doesNotMatch(yaml.stdout, C0);
    // The tree is for people: every name that is not printable ASCII is quoted and escaped.
    const tree = await cli(['show', '--tree', '--state-dir', stateDir]);
    assert.equal(tree.code, 0, tree.stderr);
    assert.doesNotMatch(tree.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    assert.match(tree.stdout, /"\\u001b\[31mred\\u001b\[0m"/);
  });

  it('a spec naming one is refused by the name rule, its name escaped in the message', async () => {
    for (const n of [NAMES[0]!, NAMES[3]!]) {
      const r = await cli(['apply', '-f', '-', '--state-dir', stateDir, '-q', '--resolv-conf', resolvConf], { input: JSON.stringify({ networks: { net9: { nic: n, bridged: false } } }) });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /spec\.networks\.net9\.nic: .*has the character/);
      assert.doesNotMatch(r.stderr + r.stdout, RAW_CONTROL);
    }
  });

  it('plan, apply, restore and removal of a network beside them work', async () => {
    const plan = await cli(['plan', '-f', '-', '--state-dir', stateDir], { input: JSON.stringify(NET1) });
    assert.equal(plan.code, 0, plan.stderr);
    const apply = await cli(['apply', '-f', '-', '--state-dir', stateDir, '-q', '--resolv-conf', resolvConf], { input: JSON.stringify(NET1) });
    assert.equal(apply.code, 0, apply.stderr);
    const shown = JSON.parse((await cli(['show', '--json', '--state-dir', stateDir])).stdout) as { kernelConfig: { networks: Record<string, { nic?: string; ipaddr?: string }> } };
    assert.equal(shown.kernelConfig.networks.net1?.ipaddr, '192.0.2.10');
    // restore: the bridge deleted by hand comes back.
    await run(['ip', '-n', ns, 'link', 'del', 'net1']);
    const restore = await cli(['restore', '--state-dir', stateDir, '--resolv-conf', resolvConf]);
    assert.equal(restore.code, 0, restore.stderr);
    assert.ok((await observeHost({ netns: ns })).links.net1, 'restored');
    const removal = await cli(['apply', '-f', '-', '--state-dir', stateDir, '-q', '--resolv-conf', resolvConf], { input: 'spec: {}\n' });
    assert.equal(removal.code, 0, removal.stderr);
    const host = await observeHost({ netns: ns });
    assert.equal(host.links.net1, undefined);
    for (const n of NAMES) assert.ok(host.links[n], `${JSON.stringify(n)} left alone`);
  });
});
