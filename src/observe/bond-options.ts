// Bonding options, VDSM-style: numeric values, only options that differ from the kernel's
// default for the bond's mode, mode always present, rendered as sorted "k=v" pairs. The same
// normalization serves both sides of a drift comparison: a spec's options string and the options
// read from /sys/class/net/<bond>/bonding, so both must go through the functions below.
import { parseKvStrict, splitKv } from '../util/kv.js';

/** Mode names the kernel accepts, by their number. */
export const BOND_MODES: readonly string[] = [
  'balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb',
];

/** Named values of the enumerated options (kernel bond_options.c tables), name -> number. */
export const BOND_OPTION_VALUES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  mode: Object.fromEntries(BOND_MODES.map((m, i) => [m, String(i)])),
  xmit_hash_policy: { layer2: '0', 'layer3+4': '1', 'layer2+3': '2', 'encap2+3': '3', 'encap3+4': '4', 'vlan+srcmac': '5' },
  lacp_rate: { slow: '0', fast: '1' },
  lacp_active: { off: '0', on: '1' },
  ad_select: { stable: '0', bandwidth: '1', count: '2' },
  arp_validate: { none: '0', active: '1', backup: '2', all: '3', filter: '4', filter_active: '5', filter_backup: '6' },
  arp_all_targets: { any: '0', all: '1' },
  fail_over_mac: { none: '0', active: '1', follow: '2' },
  primary_reselect: { always: '0', better: '1', failure: '2' },
};

/**
 * The kernel's defaults, numeric, as a fresh bond of each mode shows them in sysfs. Measured on
 * Debian's 6.1 kernel by creating one bond per mode (`ip link add B type bond mode M`) and reading
 * /sys/class/net/B/bonding/* — what `vdsm-tool dump-bonding-options` does. All modes share the
 * same values but one: switching to 802.3ad, balance-tlb or balance-alb turns MII monitoring on
 * at 100 ms when it was off (bond_option_mode_set), so those modes default to miimon=100.
 * Empty string = the option is unset (primary, arp_ip_target).
 */
const COMMON_DEFAULTS: Readonly<Record<string, string>> = {
  ad_actor_sys_prio: '65535',
  ad_actor_system: '00:00:00:00:00:00',
  ad_select: '0',
  ad_user_port_key: '0',
  all_slaves_active: '0',
  arp_all_targets: '0',
  arp_interval: '0',
  arp_ip_target: '',
  arp_missed_max: '2',
  arp_validate: '0',
  downdelay: '0',
  fail_over_mac: '0',
  lacp_active: '1',
  lacp_rate: '0',
  lp_interval: '1',
  miimon: '0',
  min_links: '0',
  num_grat_arp: '1',
  packets_per_slave: '1',
  peer_notif_delay: '0',
  primary: '',
  primary_reselect: '0',
  resend_igmp: '1',
  tlb_dynamic_lb: '1',
  updelay: '0',
  use_carrier: '1',
  xmit_hash_policy: '0',
};

export const BOND_DEFAULTS: Readonly<Record<string, Readonly<Record<string, string>>>> = Object.fromEntries(
  BOND_MODES.map((_, mode) => [String(mode), { ...COMMON_DEFAULTS, mode: String(mode), ...(mode >= 4 ? { miimon: '100' } : {}) }]),
);

/** sysfs files under bonding/ that are state, not options (VDSM's exclusion list). */
const BOND_STATE_FILES = new Set([
  'slaves', 'active_slave', 'mii_status', 'queue_id', 'ad_aggregator', 'ad_num_ports', 'ad_actor_key',
  'ad_partner_key', 'ad_partner_mac',
]);

/** Aliases the kernel keeps in step; reported under one name so each is counted once. */
const ALIASES: Readonly<Record<string, string>> = { num_unsol_na: 'num_grat_arp' };

/** A value in numeric form: "802.3ad 4" (sysfs) -> "4", "fast" -> "1", "10.0.0.1 10.0.0.2" -> comma list. */
export function numericBondValue(option: string, value: string): string {
  const v = value.trim();
  if (option === 'arp_ip_target') return v.split(/[\s,]+/).filter(Boolean).join(',');
  const names = BOND_OPTION_VALUES[option];
  if (!names) return v;
  // sysfs shows "name number"; a spec may give either the name or the number.
  const last = v.split(/\s+/).pop() ?? '';
  if (/^\d+$/.test(last)) return last;
  return names[last] ?? last;
}

/** Keeps mode and the options differing from that mode's defaults; numeric values. */
export function nonDefaultBondOptions(opts: Readonly<Record<string, string>>): Record<string, string> {
  const numeric: Record<string, string> = {};
  for (const [k0, v] of Object.entries(opts)) {
    const k = ALIASES[k0] ?? k0;
    if (BOND_STATE_FILES.has(k)) continue;
    numeric[k] = numericBondValue(k, v);
  }
  const mode = numeric.mode ?? '0';
  const defaults = BOND_DEFAULTS[mode] ?? BOND_DEFAULTS['0']!;
  const out: Record<string, string> = { mode };
  for (const [k, v] of Object.entries(numeric)) {
    if (k === 'mode') continue;
    if (k in defaults ? defaults[k] === v : v === '') continue;
    out[k] = v;
  }
  return out;
}

/** Options from /sys/class/net/<bond>/bonding/* (raw) -> non-default numeric map. */
export function bondOptionsFromSysfs(raw: Readonly<Record<string, string>>): Record<string, string> {
  return nonDefaultBondOptions(raw);
}

export function formatBondOptions(opts: Readonly<Record<string, string>>): string {
  return Object.keys(opts).sort().map((k) => `${k}=${opts[k]}`).join(' ');
}

/** Parses "k=v k=v" (a spec's options). */
export function parseBondOptions(options: string): Record<string, string> {
  return parseKvStrict(options, 'bond option');
}

/** Two spellings of one value: "0x0" and "0", "100" and "0100", MAC addresses in either case. */
export function sameOptionValue(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.toLowerCase() === b.toLowerCase() && /^[0-9a-f:]+$/i.test(a)) return true;
  const na = Number(a), nb = Number(b);
  return a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && na === nb;
}

/**
 * The options of a bond as kernelConfig reports them, so that they compare with the canonical
 * spec whichever way the spec was canonicalized: the non-default options (VDSM), plus every
 * option the configured string names, with the kernel's current value (spelled as configured
 * when it is the same value). An option the config names but the kernel does not show (not
 * applicable to the mode, unset) is left out, so the difference stays visible.
 */
export function bondOptionsForConfig(raw: Readonly<Record<string, string>>, configured: string): string {
  const out = nonDefaultBondOptions(raw);
  const wanted: Record<string, string> = {};
  for (const [k, v] of splitKv(configured).pairs) wanted[ALIASES[k] ?? k] = v;
  for (const [k, want] of Object.entries(wanted)) {
    if (k in out) {
      if (sameOptionValue(out[k]!, numericBondValue(k, want))) out[k] = want;
      continue;
    }
    const rawValue = raw[k];
    if (rawValue === undefined || rawValue.trim() === '') continue;
    const v = numericBondValue(k, rawValue);
    out[k] = sameOptionValue(v, numericBondValue(k, want)) ? want : v;
  }
  return formatBondOptions(out);
}
