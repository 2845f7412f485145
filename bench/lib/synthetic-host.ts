// A host as its kernel shows it once a config is applied, in the observer's own dump formats
// (`ip -json -details -statistics addr show`, `ip -json route show table all default`, the
// sysfs/procfs script's output), so that the real parser, capabilities, kernelConfig and
// statistics read it — for sizes no lab can hold (thousands of bonds, VLANs and bridges). The
// devices are the compiler's (src/model/layout.ts names them); a bridge's sysfs files are those
// of a fresh bridge captured from a real kernel (test/fixtures/observe/netns, bridge br1), a
// bond's are rendered from the bond option table; counters are large and move between samples.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningConfig } from '../../src/api/config.js';
import { DEFAULT_RESOLV_CONF } from '../../src/api/constants.js';
import { legacyRouteTable } from '../../src/apply/compile/tables.js';
import { layoutOf, type Sysctls } from '../../src/model/layout.js';
import { BOND_DEFAULTS, bondOption } from '../../src/model/bond-options.js';
import type { Dumps } from '../../src/observe/parse.js';

// dist/bench/lib -> test/fixtures/observe
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'observe');

/** The bridge/* files of a fresh bridge, as a real kernel showed them (`br1` of the netns capture). */
export function freshBridgeFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(FIXTURES, 'netns', 'sys.txt'), 'utf8').split('\n')) {
    const m = /^br1\/bridge\/(\w+):(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  if (!Object.keys(out).length) throw new Error(`no bridge br1 in ${join(FIXTURES, 'netns', 'sys.txt')}`);
  return out;
}

export interface HostShape {
  /** NICs present before anything is applied (the config's own are added); eth0 and lo always. */
  nics: readonly string[];
  /** resolv.conf's nameservers unless the config's default-route network sets its own. */
  /** 0 for the first sample; every sample moves the counters by one interval of traffic. */
  sample: number;
  /** Seconds between samples (the statistics interval). */
  intervalSeconds: number;
  nameservers: readonly string[];
}

interface Dev {
  name: string;
  kind: '' | 'bond' | 'bridge' | 'vlan';
  mtu: number;
  mac: string;
  master?: string;
  slaveKind?: 'bond' | 'bridge';
  parent?: string;
  vlanId?: number;
  addrs: { family: 'inet' | 'inet6'; local: string; prefixlen: number; scope: 'global' | 'link' }[];
  sysctls: Sysctls;
  speed?: number;
}

const NIC_SPEED = 25000;
const DEFAULT_SYSCTLS: Sysctls = { accept_ra: '1', autoconf: '1', disable_ipv6: '0' };

function macOf(i: number): string {
  return ['02', '5a', ...[24, 16, 8, 0].map((s) => ((i >>> s) & 0xff).toString(16).padStart(2, '0'))].join(':');
}

function linkLocal(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  const g = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
  return `fe80::${g(b[0]! ^ 2, b[1]!)}:${g(b[2]!, 0xff)}:${g(0xfe, b[3]!)}:${g(b[4]!, b[5]!)}`;
}

/** The devices the config makes (and the NICs it uses), ordered as they would be created. */
function devices(cfg: RunningConfig, shape: HostShape): Dev[] {
  const l = layoutOf(cfg);
  const byName = new Map<string, Dev>();
  const add = (d: Dev) => byName.set(d.name, d);
  let n = 0;
  const nicNames = new Set(['eth0', ...shape.nics, ...l.nics.keys()]);
  for (const name of nicNames) add({ name, kind: '', mtu: l.nics.get(name)?.mtu ?? 1500, mac: macOf(++n), addrs: [], sysctls: DEFAULT_SYSCTLS, speed: NIC_SPEED });
  byName.get('eth0')!.addrs.push({ family: 'inet', local: '192.0.2.10', prefixlen: 24, scope: 'global' });
  for (const [name, b] of l.bonds) {
    const slaves = b.nics.map((s) => byName.get(s)!);
    for (const s of slaves) Object.assign(s, { master: name, slaveKind: 'bond', mtu: b.mtu, sysctls: { ...DEFAULT_SYSCTLS, disable_ipv6: '1' } });
    add({ name, kind: 'bond', mtu: b.mtu, mac: b.hwaddr ?? slaves[0]?.mac ?? macOf(++n), addrs: [], sysctls: { ...DEFAULT_SYSCTLS, disable_ipv6: '1' }, speed: NIC_SPEED * slaves.length });
  }
  for (const [name, v] of l.vlans) {
    const lower = byName.get(v.link)!;
    add({ name, kind: 'vlan', mtu: v.mtu, mac: lower.mac, parent: v.link, vlanId: v.id, addrs: [], sysctls: { ...DEFAULT_SYSCTLS, disable_ipv6: '1' }, ...(lower.speed ? { speed: lower.speed } : {}) });
  }
  for (const [name, b] of l.bridges) {
    const port = b.port ? byName.get(b.port) : undefined;
    if (port) Object.assign(port, { master: name, slaveKind: 'bridge', sysctls: { ...DEFAULT_SYSCTLS, disable_ipv6: '1' } });
    add({ name, kind: 'bridge', mtu: b.mtu, mac: port?.mac ?? macOf(++n), addrs: [], sysctls: DEFAULT_SYSCTLS, ...(port?.speed ? { speed: port.speed } : {}) });
  }
  for (const [name, t] of l.tops) {
    const d = byName.get(name)!;
    d.sysctls = { ...DEFAULT_SYSCTLS, ...t.sysctls };
    const cidr = (family: 'inet' | 'inet6', s: string) => {
      const [local, len] = s.split('/') as [string, string];
      d.addrs.push({ family, local, prefixlen: Number(len), scope: 'global' });
    };
    if (t.ipv4) cidr('inet', t.ipv4);
    if (t.ipv6) cidr('inet6', t.ipv6);
  }
  for (const d of byName.values()) if (d.sysctls.disable_ipv6 !== '1') d.addrs.push({ family: 'inet6', local: linkLocal(d.mac), prefixlen: 64, scope: 'link' });
  return [...byName.values()];
}

/** Counters of device `i` at a sample: about 100 GB moved, 12 MB/s more each second. */
function stats(i: number, shape: HostShape) {
  const bytes = (base: number) => base + i * 1_000_003 + shape.sample * shape.intervalSeconds * (12_345_678 + i);
  return {
    rx: { bytes: bytes(100_000_000_000), packets: 90_000_000 + i, errors: i % 7, dropped: i % 13, over_errors: 0, multicast: 1000 + i },
    tx: { bytes: bytes(200_000_000_000), packets: 80_000_000 + i, errors: i % 5, dropped: i % 11, carrier_errors: 0, collisions: 0 },
  };
}

function linkJson(d: Dev, index: number, shape: HostShape): Record<string, unknown> {
  const linkinfo: Record<string, unknown> = {};
  if (d.kind) linkinfo.info_kind = d.kind;
  if (d.kind === 'vlan') linkinfo.info_data = { protocol: '802.1Q', id: d.vlanId, flags: ['REORDER_HDR'] };
  if (d.slaveKind) linkinfo.info_slave_kind = d.slaveKind;
  if (d.slaveKind === 'bond') linkinfo.info_slave_data = { state: 'ACTIVE', mii_status: 'UP', perm_hwaddr: d.mac, ad_aggregator_id: 1 };
  return {
    ifindex: index, ...(d.parent ? { link: d.parent } : {}), ifname: d.name,
    flags: ['BROADCAST', 'MULTICAST', ...(d.slaveKind === 'bond' ? ['SLAVE'] : []), ...(d.kind === 'bond' ? ['MASTER'] : []), 'UP', 'LOWER_UP'],
    mtu: d.mtu, qdisc: 'noqueue', ...(d.master ? { master: d.master } : {}), operstate: 'UP', group: 'default', txqlen: 1000,
    link_type: 'ether', address: d.mac, broadcast: 'ff:ff:ff:ff:ff:ff',
    ...(Object.keys(linkinfo).length ? { linkinfo } : {}),
    addr_info: d.addrs.map((a) => ({ ...a, ...(a.family === 'inet' ? { label: d.name } : {}), valid_life_time: 4294967295, preferred_life_time: 4294967295 })),
    stats64: stats(index, shape),
  };
}

/** `name number` for named values, as bonding/ shows them. */
function bondSysfsValue(key: string, numeric: string): string {
  const kind = bondOption(key)?.kind;
  return kind?.type === 'enum' ? `${kind.names[Number(numeric)]} ${numeric}` : numeric;
}

function bondFiles(name: string, options: Readonly<Record<string, string>>, slaves: readonly Dev[]): string[] {
  const numeric = { ...BOND_DEFAULTS[options.mode ?? '0'], ...options };
  const lines = Object.entries(numeric).map(([k, v]) => `${name}/bonding/${k}:${bondSysfsValue(k, v)}`);
  lines.push(`${name}/bonding/slaves:${slaves.map((s) => s.name).join(' ')}`, `${name}/bonding/mii_status:up`);
  if (numeric.mode === '4') lines.push(`${name}/bonding/ad_aggregator:1`, `${name}/bonding/ad_num_ports:${slaves.length}`, `${name}/bonding/ad_partner_mac:0e:21:0c:48:25:25`);
  lines.push(`/proc/net/bonding/${name}:Ethernet Channel Bonding Driver: v6.1.0-56-amd64`);
  for (const s of slaves) lines.push(`/proc/net/bonding/${name}:Slave Interface: ${s.name}`, `/proc/net/bonding/${name}:Permanent HW addr: ${s.mac}`, `/proc/net/bonding/${name}:Aggregator ID: 1`);
  return lines;
}

/** The dumps of the host with `cfg` applied (static addressing; DHCP is not rendered). */
export function syntheticDumps(cfg: RunningConfig, shape: HostShape): Dumps {
  const l = layoutOf(cfg);
  const devs = devices(cfg, shape);
  const lo = { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, operstate: 'UNKNOWN', link_type: 'loopback', address: '00:00:00:00:00:00', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }], stats64: stats(1, shape) };
  const links: Record<string, unknown>[] = [lo, ...devs.map((d, i) => linkJson(d, i + 2, shape))];

  const routes4: Record<string, unknown>[] = [];
  const routes6: Record<string, unknown>[] = [];
  for (const [dev, t] of l.tops) {
    // Tables as a state without recorded ones has them (the compiler adopts what it finds).
    const table = t.defaultRoute ? {} : { table: String(legacyRouteTable(t.network)) };
    if (t.gateway) routes4.push({ dst: 'default', gateway: t.gateway, dev, ...table, protocol: 'static', flags: [] });
    if (t.ipv6gateway) routes6.push({ dst: 'default', gateway: t.ipv6gateway, dev, ...table, protocol: 'static', metric: 1, flags: [], pref: 'medium' });
  }

  const sys = ['@virtual-listed', '@virtual lo', ...devs.filter((d) => d.kind).map((d) => `@virtual ${d.name}`), '@ipv6'];
  const byName = new Map(devs.map((d) => [d.name, d]));
  for (const d of devs) if (d.speed) sys.push(`${d.name}/speed:${d.speed}`);
  const fresh = freshBridgeFiles();
  let gc = 0;
  for (const [name, b] of l.bridges) {
    const id = `8000.${byName.get(name)!.mac.replaceAll(':', '')}`;
    // The timers move on every read; gc_timer differs from bridge to bridge.
    const files = { ...fresh, bridge_id: id, root_id: id, stp_state: b.stp ? '1' : '0', hello_timer: b.stp ? '150' : '0', gc_timer: String(++gc % 300), ...b.opts };
    for (const [k, v] of Object.entries(files)) sys.push(`${name}/bridge/${k}:${v}`);
  }
  for (const [name, b] of l.bonds) sys.push(...bondFiles(name, b.options, b.nics.map((s) => byName.get(s)!)));
  const own = [...l.tops.values()].find((t) => t.defaultRoute && t.nameservers.length)?.nameservers;
  sys.push(...(own ?? shape.nameservers).map((ns) => `${DEFAULT_RESOLV_CONF}:nameserver ${ns}`));
  const conf = (dir: string, s: Sysctls) => Object.entries(s).map(([k, v]) => `/proc/sys/net/ipv6/conf/${dir}/${k}:${v}`);
  sys.push(...conf('default', DEFAULT_SYSCTLS), ...conf('lo', DEFAULT_SYSCTLS), ...devs.flatMap((d) => conf(d.name, d.sysctls)));
  return { links: JSON.stringify(links), routes4: JSON.stringify(routes4), routes6: JSON.stringify(routes6), sys: sys.join('\n') + '\n' };
}
