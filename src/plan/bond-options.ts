// Bonding options: which exist, in which modes the kernel honours them, which values they take,
// and their canonical form (VDSM's: numeric values, mode always present, sorted "k=v").
// Source: the kernel's Documentation/networking/bonding.rst and bond_options.c (option table,
// value tables, unsupported-mode masks).
import { splitKv } from '../util/kv.js';

export const BOND_MODE_NAMES = [
  'balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb',
] as const;

export const DEFAULT_BOND_MODE = 0;

type OptionKind =
  | { type: 'int'; min: number; max: number }
  | { type: 'enum'; values: Readonly<Record<string, number>> }
  | { type: 'ipv4list' }
  | { type: 'mac' }
  | { type: 'ifname' };

interface OptionDef {
  kind: OptionKind;
  /** Modes (numbers) the option applies to; undefined = all modes. */
  modes?: readonly number[];
}

const INT_MAX = 2147483647;
const int = (min: number, max: number): OptionKind => ({ type: 'int', min, max });
const names = (...vals: string[]): OptionKind => ({ type: 'enum', values: Object.fromEntries(vals.map((v, i) => [v, i])) });

const ARP_MODES = [0, 1, 2, 3]; // ARP monitoring is not available in 802.3ad, balance-tlb, balance-alb
const ACTIVE_SLAVE_MODES = [1, 5, 6]; // modes with one active (primary) slave
const LACP = [4];

/** Every writable option of /sys/class/net/<bond>/bonding, except runtime state (active_slave). */
export const BOND_OPTIONS: Readonly<Record<string, OptionDef>> = {
  mode: { kind: names(...BOND_MODE_NAMES) },
  miimon: { kind: int(0, INT_MAX) },
  updelay: { kind: int(0, INT_MAX) },
  downdelay: { kind: int(0, INT_MAX) },
  peer_notif_delay: { kind: int(0, INT_MAX) },
  use_carrier: { kind: names('off', 'on') },
  arp_interval: { kind: int(0, INT_MAX), modes: ARP_MODES },
  arp_ip_target: { kind: { type: 'ipv4list' }, modes: ARP_MODES },
  arp_validate: { kind: names('none', 'active', 'backup', 'all', 'filter', 'filter_active', 'filter_backup'), modes: ARP_MODES },
  arp_all_targets: { kind: names('any', 'all'), modes: ARP_MODES },
  arp_missed_max: { kind: int(1, 255), modes: ARP_MODES },
  primary: { kind: { type: 'ifname' }, modes: ACTIVE_SLAVE_MODES },
  primary_reselect: { kind: names('always', 'better', 'failure'), modes: ACTIVE_SLAVE_MODES },
  fail_over_mac: { kind: names('none', 'active', 'follow'), modes: [1] },
  xmit_hash_policy: { kind: names('layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4', 'vlan+srcmac'), modes: [2, 4, 5, 6] },
  resend_igmp: { kind: int(0, 255) },
  num_grat_arp: { kind: int(0, 255), modes: ACTIVE_SLAVE_MODES },
  num_unsol_na: { kind: int(0, 255), modes: ACTIVE_SLAVE_MODES },
  lacp_rate: { kind: names('slow', 'fast'), modes: LACP },
  lacp_active: { kind: names('off', 'on'), modes: LACP },
  ad_select: { kind: names('stable', 'bandwidth', 'count'), modes: LACP },
  ad_actor_sys_prio: { kind: int(1, 65535), modes: LACP },
  ad_actor_system: { kind: { type: 'mac' }, modes: LACP },
  ad_user_port_key: { kind: int(0, 1023), modes: LACP },
  min_links: { kind: int(0, INT_MAX), modes: LACP },
  coupled_control: { kind: names('off', 'on'), modes: LACP },
  all_slaves_active: { kind: names('off', 'on') },
  lp_interval: { kind: int(1, INT_MAX), modes: [5, 6] },
  packets_per_slave: { kind: int(0, 65535), modes: [0] },
  tlb_dynamic_lb: { kind: names('off', 'on'), modes: [5, 6] },
};

/** The kernel keeps num_unsol_na equal to num_grat_arp; both sides report the latter. */
const ALIASES: Readonly<Record<string, string>> = { num_unsol_na: 'num_grat_arp' };

/** The kernel only changes these on a bond without slaves (bond_options.c BOND_OPTFLAG_NOSLAVES). */
export const NO_SLAVES_OPTIONS: ReadonlySet<string> = new Set(['mode', 'fail_over_mac']);
/** ... and these only while the bond is down (BOND_OPTFLAG_IFDOWN). */
export const IFDOWN_OPTIONS: ReadonlySet<string> = new Set(['mode', 'ad_actor_sys_prio', 'ad_actor_system', 'ad_user_port_key', 'tlb_dynamic_lb']);

export function modeLabel(mode: number): string {
  return `${BOND_MODE_NAMES[mode] ?? '?'} (${mode})`;
}

/** "k=v k=v" -> ordered pairs; tokens without "=" or with an empty key/value are reported. */
export function splitOptions(options: string): { pairs: [string, string][]; bad: string[] } {
  return splitKv(options);
}

/** The numeric (canonical) value of an option, or an error message. */
export function optionValue(option: string, value: string): { value: string } | { error: string } {
  const def = BOND_OPTIONS[option];
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
      if (value in k.values) return { value: String(k.values[value]) };
      const max = Object.keys(k.values).length - 1;
      if (/^\d+$/.test(value) && Number(value) <= max) return { value: String(Number(value)) };
      return { error: `${option}=${value}: must be one of ${Object.keys(k.values).join(', ')} (or 0..${max})` };
    }
    case 'ipv4list': {
      const ips = value.split(',');
      const ok = ips.length <= 16 && ips.every((ip) => /^(\d{1,3})(\.\d{1,3}){3}$/.test(ip) && ip.split('.').every((o) => Number(o) <= 255 && !/^0\d/.test(o)));
      return ok ? { value: ips.join(',') } : { error: `${option}=${value}: must be a comma-separated list of up to 16 IPv4 addresses` };
    }
    case 'mac':
      return /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(value)
        ? { value: value.toLowerCase() }
        : { error: `${option}=${value}: must be a MAC address` };
    case 'ifname':
      return value.length <= 15 && !/[\s/:]/.test(value) ? { value } : { error: `${option}=${value}: must be an interface name` };
  }
}

/** The mode of an options string as a number (default balance-rr); undefined if invalid. */
export function bondMode(options: string | undefined): number | undefined {
  const { pairs } = splitOptions(options ?? '');
  const m = pairs.find(([k]) => k === 'mode');
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
    const key = ALIASES[k] ?? k;
    const r = optionValue(k, v);
    if ('error' in r) {
      errors.push(r.error);
      continue;
    }
    const prev = seen.get(key);
    if (prev !== undefined && prev !== r.value) errors.push(`${k} is given twice with different values`);
    else if (prev !== undefined && key === k) errors.push(`${k} is given twice`);
    seen.set(key, r.value);
    const modes = BOND_OPTIONS[k]!.modes;
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
  const out = new Map<string, string>();
  for (const [k, v] of splitOptions(options ?? '').pairs) {
    const r = optionValue(k, v);
    out.set(ALIASES[k] ?? k, 'value' in r ? r.value : v);
  }
  if (!out.has('mode')) out.set('mode', String(DEFAULT_BOND_MODE));
  return [...out.keys()].sort().map((k) => `${k}=${out.get(k)}`).join(' ');
}

/** Option names whose value differs between two canonical options strings. */
export function changedOptions(from: string, to: string): string[] {
  const a = new Map(splitOptions(from).pairs);
  const b = new Map(splitOptions(to).pairs);
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k)).sort();
}
