// The bonding option table: one row per option of /sys/class/net/<bond>/bonding, and every rule
// about bond options derived from it — validation and canonical form (VDSM's: numeric values, mode
// always present, sorted "k=v"), the non-default form observation reports, and the `ip link`
// arguments and sysfs writes that set them. Kernel facts come from bond_options.c (value tables,
// unsupported-mode masks, BOND_OPTFLAG_IFDOWN/NOSLAVES) and Documentation/networking/bonding.rst;
// defaults as a fresh bond of each mode shows them in sysfs (Debian 6.1).

import { parseKvStrict, splitKv } from '../util/kv.js';
/**
 * The bonding modes, one row each; a mode's number is its index (bond_mode_tbl). `bridgeable`
 * is the oVirt engine's BondMode.isValidForVmNetwork: balance-rr (0) sends one flow's frames
 * through every slave and balance-tlb/alb (5, 6) rewrite source MACs per slave, so a switch sees a
 * bridged guest's MAC flap between ports (or not at all); the engine refuses a VM (bridged)
 * network on those modes.
 */
export const BOND_MODES = [
  { name: 'balance-rr', bridgeable: false },
  { name: 'active-backup', bridgeable: true },
  { name: 'balance-xor', bridgeable: true },
  { name: 'broadcast', bridgeable: true },
  { name: '802.3ad', bridgeable: true },
  { name: 'balance-tlb', bridgeable: false },
  { name: 'balance-alb', bridgeable: false },
] as const;

/** Mode names; a mode's number is its index. */
export const BOND_MODE_NAMES = BOND_MODES.map((m) => m.name);

/** Whether a bond in this mode may carry a bridged network (the engine's rule; see BOND_MODES). */
export function modeCarriesBridge(mode: number): boolean {
  return BOND_MODES[mode]?.bridgeable === true;
}

/** The modes that may carry a bridged network, labelled, for messages. */
export const BRIDGEABLE_MODE_LABELS = BOND_MODES.flatMap((m, i) => (m.bridgeable ? [`${m.name} (${i})`] : []));

export const DEFAULT_BOND_MODE = 0;

export type BondValueKind =
  | { type: 'int'; min: number; max: number }
  /** Named values; a name's number is its index (the kernel's value tables are dense from 0). */
  | { type: 'enum'; names: readonly string[] }
  | { type: 'ipv4list' }
  | { type: 'mac' }
  | { type: 'ifname' };

export interface BondOption {
  /** The sysfs file under bonding/. */
  readonly name: string;
  /** Other names the kernel keeps equal to this one; reported and compared under `name`. */
  readonly aliases: readonly string[];
  /** The `ip link ... type bond` argument; undefined: set through sysfs only. */
  readonly ip: string | undefined;
  readonly kind: BondValueKind;
  /**
   * The modes (numbers) the option has effect in; undefined = all. Validation refuses it in other
   * modes, and a mode switch resets it while the old mode still has it. Never wider than the
   * kernel's unsupported-mode mask allows, so the kernel accepts it wherever it is set.
   */
  readonly modes: readonly number[] | undefined;
  /** The kernel's default, numeric; '' = unset. */
  readonly default: string;
  /** Modes whose default differs from `default`. */
  readonly modeDefaults: Readonly<Partial<Record<number, string>>>;
  /** Changed only while the bond is down (BOND_OPTFLAG_IFDOWN: -EBUSY otherwise). */
  readonly ifdown: boolean;
  /** Changed only while the bond has no slaves (BOND_OPTFLAG_NOSLAVES: -ENOTEMPTY otherwise). */
  readonly noSlaves: boolean;
}

const INT_MAX = 2147483647;
const int = (min: number, max: number): BondValueKind => ({ type: 'int', min, max });
const names = (...values: string[]): BondValueKind => ({ type: 'enum', names: values });
const OFF_ON = names('off', 'on');

const ALL_MODES = BOND_MODE_NAMES.map((_, i) => i);
/** Modes with ARP monitoring (bond_mode_uses_arp): all but 802.3ad, balance-tlb, balance-alb. */
const ARP_MODES = [0, 1, 2, 3];
/** Modes with one active (primary) slave. */
const ACTIVE_SLAVE_MODES = [1, 5, 6];
const LACP = [4];
/**
 * Switching to a mode without ARP monitoring turns MII monitoring on at 100 ms when it was off
 * (bond_option_mode_set), so those modes default to miimon=100.
 */
const MIIMON_ON = Object.fromEntries(ALL_MODES.filter((m) => !ARP_MODES.includes(m)).map((m) => [m, '100']));

type Row = Pick<BondOption, 'name' | 'kind' | 'default'> &
  Partial<Omit<BondOption, 'name' | 'kind' | 'default' | 'ip'>> & {
    /** Defaults to `name`; null: sysfs only. */
    ip?: string | null;
  };

const row = (r: Row): BondOption => ({
  aliases: [],
  modes: undefined,
  modeDefaults: {},
  ifdown: false,
  noSlaves: false,
  ...r,
  ip: r.ip === null ? undefined : (r.ip ?? r.name),
});

/** Every writable option of bonding/, except runtime state (active_slave, queue_id). */
export const BOND_OPTIONS: readonly BondOption[] = [
  row({
    name: 'mode',
    kind: names(...BOND_MODE_NAMES),
    default: String(DEFAULT_BOND_MODE),
    ifdown: true,
    noSlaves: true,
  }),
  row({ name: 'miimon', kind: int(0, INT_MAX), default: '0', modeDefaults: MIIMON_ON }),
  row({ name: 'updelay', kind: int(0, INT_MAX), default: '0' }),
  row({ name: 'downdelay', kind: int(0, INT_MAX), default: '0' }),
  row({ name: 'peer_notif_delay', ip: 'peer_notify_delay', kind: int(0, 300000), default: '0' }),
  row({ name: 'use_carrier', kind: OFF_ON, default: '1' }),
  row({ name: 'arp_interval', kind: int(0, INT_MAX), modes: ARP_MODES, default: '0' }),
  row({ name: 'arp_ip_target', kind: { type: 'ipv4list' }, modes: ARP_MODES, default: '' }),
  row({
    name: 'arp_validate',
    kind: names('none', 'active', 'backup', 'all', 'filter', 'filter_active', 'filter_backup'),
    modes: ARP_MODES,
    default: '0',
  }),
  row({ name: 'arp_all_targets', kind: names('any', 'all'), modes: ARP_MODES, default: '0' }),
  row({ name: 'arp_missed_max', kind: int(1, 255), modes: ARP_MODES, default: '2' }),
  row({ name: 'primary', kind: { type: 'ifname' }, modes: ACTIVE_SLAVE_MODES, default: '' }),
  row({
    name: 'primary_reselect',
    kind: names('always', 'better', 'failure'),
    modes: ACTIVE_SLAVE_MODES,
    default: '0',
  }),
  row({ name: 'fail_over_mac', kind: names('none', 'active', 'follow'), modes: [1], default: '0', noSlaves: true }),
  row({
    name: 'xmit_hash_policy',
    kind: names('layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4', 'vlan+srcmac'),
    modes: [2, 4, 5, 6],
    default: '0',
  }),
  row({ name: 'resend_igmp', kind: int(0, 255), default: '1' }),
  row({ name: 'num_grat_arp', aliases: ['num_unsol_na'], kind: int(0, 255), modes: ACTIVE_SLAVE_MODES, default: '1' }),
  row({ name: 'lacp_rate', kind: names('slow', 'fast'), modes: LACP, default: '0', ifdown: true }),
  row({ name: 'lacp_active', kind: OFF_ON, modes: LACP, default: '1', ifdown: true }),
  row({ name: 'ad_select', kind: names('stable', 'bandwidth', 'count'), modes: LACP, default: '0', ifdown: true }),
  row({ name: 'ad_actor_sys_prio', kind: int(1, 65535), modes: LACP, default: '65535' }),
  row({ name: 'ad_actor_system', kind: { type: 'mac' }, modes: LACP, default: '00:00:00:00:00:00' }),
  row({ name: 'ad_user_port_key', kind: int(0, 1023), modes: LACP, default: '0', ifdown: true }),
  row({ name: 'min_links', kind: int(0, INT_MAX), modes: LACP, default: '0' }),
  // Through sysfs: only iproute2 6.9+ knows it, and as on/off.
  row({ name: 'coupled_control', ip: null, kind: OFF_ON, modes: LACP, default: '1', ifdown: true }),
  row({ name: 'all_slaves_active', kind: OFF_ON, default: '0' }),
  row({ name: 'lp_interval', kind: int(1, INT_MAX), modes: [5, 6], default: '1' }),
  row({ name: 'packets_per_slave', kind: int(0, 65535), modes: [0], default: '1' }),
  row({ name: 'tlb_dynamic_lb', kind: OFF_ON, modes: [5, 6], default: '1', ifdown: true }),
];

const BY_NAME: ReadonlyMap<string, BondOption> = new Map(
  BOND_OPTIONS.flatMap((o) => [o.name, ...o.aliases].map((n) => [n, o] as const)),
);

/** The row of an option, by its name or an alias. */
export function bondOption(name: string): BondOption | undefined {
  return BY_NAME.get(name);
}

/** The name an option is reported and compared under (aliases folded); unknown names unchanged. */
export function bondOptionName(name: string): string {
  return BY_NAME.get(name)?.name ?? name;
}

/** sysfs files under bonding/ that are state, not options (VDSM's exclusion list). */
export const BOND_STATE_FILES: ReadonlySet<string> = new Set([
  'slaves',
  'active_slave',
  'mii_status',
  'queue_id',
  'ad_aggregator',
  'ad_num_ports',
  'ad_actor_key',
  'ad_partner_key',
  'ad_partner_mac',
]);

export const IFDOWN_OPTIONS: ReadonlySet<string> = new Set(BOND_OPTIONS.filter((o) => o.ifdown).map((o) => o.name));
export const NO_SLAVES_OPTIONS: ReadonlySet<string> = new Set(
  BOND_OPTIONS.filter((o) => o.noSlaves).map((o) => o.name),
);

/** Each mode's defaults (numeric, mode included), by mode number as a string. */
export const BOND_DEFAULTS: Readonly<Record<string, Readonly<Record<string, string>>>> = Object.fromEntries(
  ALL_MODES.map((mode) => [
    String(mode),
    Object.fromEntries(
      BOND_OPTIONS.map((o) => [o.name, o.name === 'mode' ? String(mode) : (o.modeDefaults[mode] ?? o.default)]),
    ),
  ]),
);

/** The numeric default of an option in a mode ('' = unset); unknown modes count as mode 0. */
export function bondDefault(mode: string, key: string): string | undefined {
  return (BOND_DEFAULTS[mode] ?? BOND_DEFAULTS[String(DEFAULT_BOND_MODE)]!)[key];
}

/** Whether an option is meant for a mode (its row's modes); unknown options are not restricted. */
export function supportedIn(key: string, mode: string): boolean {
  const modes = bondOption(key)?.modes;
  return !modes || modes.includes(Number(mode));
}

export function modeLabel(mode: number): string {
  return `${BOND_MODE_NAMES[mode] ?? '?'} (${mode})`;
}

// ---- "k=v k=v" strings ----

/** "k=v k=v" -> ordered pairs; tokens that are not key=value (no key, no value) are reported. */
export function splitOptions(options: string): { pairs: [string, string][]; bad: string[] } {
  return splitKv(options);
}

/** Parses "k=v k=v" (a config's options; the last of a key wins); throws on a token that is not key=value. */
export function parseBondOptions(options: string): Record<string, string> {
  return parseKvStrict(options, 'bond option');
}

/** The "k=v" pairs of a string, tokens without a key skipped: for strings compared with the kernel, not validated. */
export function optionPairs(options: string): [string, string][] {
  return splitKv(options).pairs;
}

/** Sorted "k=v k=v". */
export function formatBondOptions(opts: Readonly<Record<string, string>>): string {
  return Object.keys(opts)
    .sort()
    .map((k) => `${k}=${opts[k]}`)
    .join(' ');
}

// ---- values ----

/** The canonical (numeric) value of an option, or an error message: the validation of one value. */
export function optionValue(option: string, value: string): { value: string } | { error: string } {
  const def = bondOption(option);
  if (!def) return { error: `unknown bond option "${option}"` };
  const k = def.kind;
  switch (k.type) {
    case 'int': {
      if (!/^\d+$/.test(value) || Number(value) < k.min || Number(value) > k.max) {
        return { error: `${option}=${value}: must be an integer in ${k.min}..${k.max}` };
      }
      return { value: String(Number(value)) };
    }
    case 'enum': {
      const i = k.names.indexOf(value);
      if (i >= 0) return { value: String(i) };
      const max = k.names.length - 1;
      if (/^\d+$/.test(value) && Number(value) <= max) return { value: String(Number(value)) };
      return { error: `${option}=${value}: must be one of ${k.names.join(', ')} (or 0..${max})` };
    }
    case 'ipv4list': {
      const ips = value.split(',');
      const ok =
        ips.length <= 16 &&
        ips.every(
          (ip) =>
            /^(\d{1,3})(\.\d{1,3}){3}$/.test(ip) && ip.split('.').every((o) => Number(o) <= 255 && !/^0\d/.test(o)),
        );
      return ok
        ? { value: ips.join(',') }
        : { error: `${option}=${value}: must be a comma-separated list of up to 16 IPv4 addresses` };
    }
    case 'mac':
      return /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(value)
        ? { value: value.toLowerCase() }
        : { error: `${option}=${value}: must be a MAC address` };
    case 'ifname':
      return value.length <= 15 && !/[\s/:]/.test(value)
        ? { value }
        : { error: `${option}=${value}: must be an interface name` };
  }
}

/**
 * A value in numeric form, leniently (sysfs or config, never refused): "802.3ad 4" (sysfs) -> "4",
 * "fast" -> "1", "10.0.0.1 10.0.0.2" -> comma list; anything else trimmed, as given.
 */
export function numericBondValue(option: string, value: string): string {
  const v = value.trim();
  const kind = bondOption(option)?.kind;
  if (kind?.type === 'ipv4list')
    return v
      .split(/[\s,]+/)
      .filter(Boolean)
      .join(',');
  if (kind?.type !== 'enum') return v;
  // sysfs shows "name number"; a config may give either the name or the number.
  const last = v.split(/\s+/).pop() ?? '';
  if (/^\d+$/.test(last)) return last;
  const i = kind.names.indexOf(last);
  return i >= 0 ? String(i) : last;
}

// ---- validation and canonical form (specs) ----

/** The mode of an options string as a number (default balance-rr); undefined if invalid. */
export function bondMode(options: string | undefined): number | undefined {
  const m = splitOptions(options ?? '').pairs.find(([k]) => k === 'mode');
  if (!m) return DEFAULT_BOND_MODE;
  const v = optionValue('mode', m[1]);
  return 'value' in v ? Number(v.value) : undefined;
}

/** Every problem of an options string (unknown options, bad values, options foreign to the mode). */
export function bondOptionErrors(options: string, nics: readonly string[]): string[] {
  const errors: string[] = [];
  const { pairs, bad } = splitOptions(options);
  for (const b of bad) errors.push(`"${b}" is not of the form option=value`);
  const seen = new Map<string, string>();
  const mode = bondMode(options);
  for (const [k, v] of pairs) {
    const key = bondOptionName(k);
    const r = optionValue(k, v);
    if ('error' in r) {
      errors.push(r.error);
      continue;
    }
    const prev = seen.get(key);
    if (prev !== undefined && prev !== r.value) errors.push(`${k} is given twice with different values`);
    else if (prev !== undefined && key === k) errors.push(`${k} is given twice`);
    seen.set(key, r.value);
    const modes = bondOption(k)!.modes;
    if (mode !== undefined && modes && !modes.includes(mode)) {
      errors.push(`${k} does not apply to mode ${modeLabel(mode)}; it applies to ${modes.map(modeLabel).join(', ')}`);
    }
    if (k === 'primary' && !nics.includes(v)) errors.push(`primary=${v} is not one of the bond's nics`);
  }
  return errors;
}

/**
 * Canonical options: numeric values, aliases folded, mode always present, sorted by name.
 * "mode=802.3ad miimon=100" -> "miimon=100 mode=4"; "" -> "mode=0". Unknown or invalid options
 * are kept verbatim (validation reports them; canonicalization must not hide them).
 */
export function canonicalBondOptions(options: string | undefined): string {
  const out: Record<string, string> = {};
  for (const [k, v] of splitOptions(options ?? '').pairs) {
    const r = optionValue(k, v);
    out[bondOptionName(k)] = 'value' in r ? r.value : v;
  }
  out.mode ??= String(DEFAULT_BOND_MODE);
  return formatBondOptions(out);
}

/** Option names whose value differs between two canonical options strings. */
export function changedOptions(from: string, to: string): string[] {
  const a = new Map(splitOptions(from).pairs);
  const b = new Map(splitOptions(to).pairs);
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k)).sort();
}

// ---- observation (sysfs) ----

/**
 * Keeps mode and the options differing from that mode's defaults; numeric values, state files and aliases folded away.
 */
export function nonDefaultBondOptions(opts: Readonly<Record<string, string>>): Record<string, string> {
  const numeric: Record<string, string> = {};
  for (const [k0, v] of Object.entries(opts)) {
    const k = bondOptionName(k0);
    if (BOND_STATE_FILES.has(k)) continue;
    numeric[k] = numericBondValue(k, v);
  }
  const mode = numeric.mode ?? String(DEFAULT_BOND_MODE);
  const out: Record<string, string> = { mode };
  for (const [k, v] of Object.entries(numeric)) {
    if (k === 'mode') continue;
    const d = bondDefault(mode, k);
    // An option without a known default is reported unless unset.
    if (d !== undefined ? d === v : v === '') continue;
    out[k] = v;
  }
  return out;
}

/** Options from /sys/class/net/<bond>/bonding/* (raw) -> non-default numeric map. */
export function bondOptionsFromSysfs(raw: Readonly<Record<string, string>>): Record<string, string> {
  return nonDefaultBondOptions(raw);
}

// ---- setting options: `ip link ... type bond` and sysfs ----

/**
 * Whether a value goes through sysfs: no `ip` name, or an empty interface name (ip resolves names to ifindexes, so it
 * cannot clear one).
 */
function viaSysfs(key: string, value: string): boolean {
  const o = bondOption(key);
  return o?.ip === undefined || (o.kind.type === 'ifname' && value === '');
}

/** `ip link set B type bond ...` arguments for the given numeric options (the sysfs ones left out). */
export function bondIpArgs(opts: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  // mode first: the kernel resets some options (miimon) when the mode changes.
  const keys = Object.keys(opts).sort((a, b) => (a === 'mode' ? -1 : b === 'mode' ? 1 : a < b ? -1 : 1));
  for (const k of keys) {
    const v = opts[k]!;
    if (!viaSysfs(k, v)) out.push(bondOption(k)!.ip!, v);
  }
  return out;
}

/** The options `bondIpArgs` leaves out, to be written to bonding/<name> (unknown ones included). */
export function bondSysfsOnly(opts: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(opts).filter(([k, v]) => viaSysfs(k, v));
}

export interface BondOptionChange {
  /** Set in the old mode first: options the new mode refuses, back to their defaults. */
  pre: { set: Record<string, string>; old: Record<string, string> };
  /** The new mode (first) and every option that differs in it. */
  main: { set: Record<string, string>; old: Record<string, string> };
  /** On the way back, set before the old mode: options the old mode refuses, to their defaults. */
  undoPre: Record<string, string>;
  /** A changed option is only accepted while the bond is down (BOND_OPTFLAG_IFDOWN). */
  needsDown: boolean;
  /** A changed option is only accepted without slaves (mode, fail_over_mac). */
  needsRelease: boolean;
}

/**
 * How a bond's options go from `f` to `t` (numeric maps with mode). Options the new config drops
 * are reset to the new mode's default; a mode change also moves the options whose default
 * differs between the modes (miimon).
 */
export function bondOptionChange(
  f: Readonly<Record<string, string>>,
  t: Readonly<Record<string, string>>,
): BondOptionChange {
  const oldMode = f.mode ?? String(DEFAULT_BOND_MODE);
  const mode = t.mode ?? String(DEFAULT_BOND_MODE);
  const out: BondOptionChange = {
    pre: { set: {}, old: {} },
    main: { set: {}, old: {} },
    undoPre: {},
    needsDown: false,
    needsRelease: false,
  };
  const keys = new Set([
    ...Object.keys(f),
    ...Object.keys(t),
    ...(oldMode !== mode ? Object.keys(BOND_DEFAULTS[mode] ?? {}) : []),
  ]);
  for (const k of keys) {
    const want = t[k] ?? bondDefault(mode, k);
    const had = f[k] ?? bondDefault(oldMode, k);
    if (want === undefined || want === had) continue;
    if (IFDOWN_OPTIONS.has(k)) out.needsDown = true;
    if (NO_SLAVES_OPTIONS.has(k)) out.needsRelease = true;
    if (!supportedIn(k, mode)) {
      // Only reachable when dropping an option of the old mode: its default, set before the switch.
      out.pre.set[k] = want;
      out.pre.old[k] = had ?? '';
      continue;
    }
    out.main.set[k] = want;
    if (supportedIn(k, oldMode)) out.main.old[k] = had ?? '';
    else out.undoPre[k] = bondDefault(mode, k) ?? '';
  }
  return out;
}
