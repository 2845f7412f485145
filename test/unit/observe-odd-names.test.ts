// The observer survives any device name the kernel takes: for every byte value (at the start,
// in the middle, at the end of a name), a foreign bridge of that name in a real dump (the netns
// fixture), printed as iproute2's JSON writer prints it (raw but for '"', '\\' and \t \n \r \f \b),
// is read with its exact name, reported, printed safely, kept out of every spec by the name
// rule, and every other device reads as before. The same on this kernel:
// test/integration/odd-names-netns.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { capabilities, HostObserver, renderTree, type Executor } from '../../src/observe/index.js';
import { escapeRawControls, parseJsonExact } from '../../src/observe/parse.js';
import { validationFacts } from '../../src/model/host-facts.js';
import { checkSpec, deviceNameProblem } from '../../src/plan/validate.js';
import { decodeBytes } from '../../src/util/exec.js';
import { loadDumps, loadRunning } from './observe-fixtures.js';

/** iproute2 lib/json_writer.c jsonw_puts, on bytes. */
function jsonwString(bytes: Buffer): Buffer {
  const out: number[] = [0x22];
  const esc: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r', 0x0c: '\\f', 0x08: '\\b', 0x5c: '\\\\', 0x22: '\\"' };
  for (const b of bytes) {
    const e = esc[b];
    if (e) out.push(...Buffer.from(e));
    else out.push(b);
  }
  out.push(0x22);
  return Buffer.from(out);
}

/** The inverse of decodeBytes: lone surrogates U+DC80..U+DCFF back to their bytes. */
function encodeBytes(s: string): Buffer {
  const parts: Buffer[] = [];
  let run = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const lone = c >= 0xdc80 && c <= 0xdcff && !(i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff);
    if (lone) {
      parts.push(Buffer.from(run, 'utf8'), Buffer.from([c - 0xdc00]));
      run = '';
    } else run += s[i];
  }
  parts.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(parts);
}

const d = loadDumps('netns');
const running = loadRunning('netns');

/** The fixture's kernel plus a bridge named `name` (bytes) holding the default route of table 77. */
function dumpsWith(name: Buffer): { ip: Buffer; sys: string } {
  const links = Buffer.from(d.links.trim(), 'utf8');
  const entry = Buffer.concat([
    Buffer.from('{"ifindex":99,"ifname":'), jsonwString(name),
    Buffer.from(',"flags":["BROADCAST","MULTICAST"],"mtu":1500,"qdisc":"noop","operstate":"DOWN","group":"default","link_type":"ether","address":"02:00:00:00:00:99","linkinfo":{"info_kind":"bridge"},"addr_info":[],"stats64":{"rx":{"bytes":0,"packets":0,"errors":0,"dropped":0},"tx":{"bytes":0,"packets":0,"errors":0,"dropped":0}}}'),
  ]);
  const route = Buffer.concat([Buffer.from('{"dst":"default","gateway":"10.99.0.1","dev":'), jsonwString(name), Buffer.from(',"table":"77","flags":[]}')]);
  const routes4 = Buffer.from(d.routes4.trim(), 'utf8');
  const ip = Buffer.concat([
    links.subarray(0, links.length - 1), Buffer.from(','), entry, Buffer.from(']\n'),
    routes4.subarray(0, routes4.length - 1), Buffer.from(routes4.length > 2 ? ',' : ''), route, Buffer.from(']\n'),
    Buffer.from(d.routes6.trim(), 'utf8'), Buffer.from('\n'),
  ]);
  return { ip, sys: d.sys };
}

function exec(ip: Buffer, sys: string): Executor {
  return async (argv) => (argv.includes('-batch') ? { stdout: decodeBytes(ip), stderr: '', code: 0 } : { stdout: sys, stderr: '', code: 0 });
}

const plain = await new HostObserver({ exec: exec(dumpsWith(Buffer.from('x')).ip, d.sys) }).observe(running);
const others = Object.keys(plain.links).filter((n) => n !== 'x').sort();

/** Names the kernel takes (dev_valid_name): no NUL, '/', ':' or whitespace (its isspace: \t..\r, space, 0xa0). */
const KERNEL_REFUSES = new Set([0x00, 0x2f, 0x3a, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0]);
const NAMES: Buffer[] = [];
for (let b = 0; b < 256; b++) {
  if (KERNEL_REFUSES.has(b)) continue;
  const c = Buffer.from([b]);
  NAMES.push(Buffer.concat([c, Buffer.from('zq')]), Buffer.concat([Buffer.from('z'), c, Buffer.from('q')]), Buffer.concat([Buffer.from('zq'), c]));
}
// Valid UTF-8 beyond ASCII, a bidi override, and an ESC sequence that would recolour a terminal.
NAMES.push(Buffer.from('zqñ'), Buffer.from('zq\u202e'), Buffer.from('\x1b[31mred\x1b[0m'));

test('decodeBytes keeps every byte: invalid UTF-8 as U+DC00 + byte, valid UTF-8 as itself', () => {
  for (let b = 0; b < 256; b++) {
    const buf = Buffer.from([0x61, b, 0x62]);
    assert.ok(encodeBytes(decodeBytes(buf)).equals(buf), `byte ${b}`);
    if (b >= 0x80) assert.equal(decodeBytes(buf), `a${String.fromCharCode(0xdc00 + b)}b`);
  }
  for (const s of ['ñ', '€', '\u{1f600}', 'plain']) assert.equal(decodeBytes(Buffer.from(s)), s);
  // Overlong, surrogate and out-of-range sequences are invalid, byte by byte.
  for (const bad of [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]) {
    assert.equal(decodeBytes(Buffer.from(bad)), bad.map((x) => String.fromCharCode(0xdc00 + x)).join(''));
  }
});

test('escapeRawControls makes any raw control character in a string valid JSON, the string unchanged', () => {
  for (let c = 0; c < 0x20; c++) {
    const s = `a${String.fromCharCode(c)}b`;
    const text = `[{"ifname":"${c === 0x09 || c === 0x0a || c === 0x0d ? JSON.stringify(s).slice(1, -1) : s}"}]`;
    assert.deepEqual(parseJsonExact(text), [{ ifname: s }]);
  }
  assert.equal(escapeRawControls('[1, 2]\n'), '[1, 2]\n');
});

test('every byte value in a foreign device name: read exactly, reported, printed safely; the rest unchanged', async () => {
  for (const name of NAMES) {
    const want = decodeBytes(name);
    const label = JSON.stringify(want);
    const { ip, sys } = dumpsWith(name);
    const obs = new HostObserver({ exec: exec(ip, sys) });
    for (const pass of [1, 2]) {
      const host = await obs.observe(running);
      assert.ok(host.links[want], `${label} pass ${pass}: read with its exact name`);
      assert.equal(host.links[want]!.index, 99);
      assert.deepEqual(Object.keys(host.links).filter((n) => n !== want).sort(), others, `${label}: every other device as before`);
      assert.ok(host.routes.some((r) => r.dev === want && r.table === '77'), `${label}: its route`);
      const caps = capabilities(host, running);
      assert.ok(want in caps.bridges, `${label}: reported as a bridge`);
      assert.deepEqual(caps.networks, capabilities(plain, running).networks, `${label}: the networks as before`);
      // show --json and the YAML of show; the tree prints no raw control character.
      assert.equal((JSON.parse(JSON.stringify(caps)) as typeof caps).bridges[want] !== undefined, true);
      stringify(caps);
      assert.doesNotMatch(renderTree(host, running), /[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f\u202e\udc80-\udcff]/, `${label}: tree`);
      // Not manageable: no spec can name it; a spec of the other devices validates as before.
      const facts = validationFacts(host);
      const asNic = checkSpec({ networks: { net9: { nic: want, bridged: false } } }, { host: facts });
      assert.equal(asNic.ok, false);
      if (!asNic.ok && deviceNameProblem(want)) assert.deepEqual(asNic.errors.map((e) => e.message), [deviceNameProblem(want)]);
      assert.equal(checkSpec({ networks: { net9: { nic: 'e2', bridged: false, ipaddr: '10.9.9.9', prefix: 24 } } }, { host: facts }).ok, true);
    }
  }
});
