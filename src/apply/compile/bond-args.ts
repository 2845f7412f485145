// Bond options as `ip link` arguments and sysfs writes, and how a bond's options change.
import { BOND_DEFAULTS } from '../../observe/bond-options.js';
import { BOND_OPTIONS, IFDOWN_OPTIONS, NO_SLAVES_OPTIONS } from '../../plan/bond-options.js';

/** Bonding option names `ip link ... type bond` knows, by sysfs name. */
const IP_BOND_OPTIONS: Readonly<Record<string, string>> = Object.fromEntries(
  [
    'mode', 'active_slave', 'miimon', 'updelay', 'downdelay', 'use_carrier', 'arp_interval', 'arp_validate',
    'arp_all_targets', 'arp_ip_target', 'primary', 'primary_reselect', 'fail_over_mac', 'xmit_hash_policy', 'resend_igmp',
    'num_grat_arp', 'num_unsol_na', 'all_slaves_active', 'min_links', 'lp_interval', 'packets_per_slave', 'tlb_dynamic_lb',
    'lacp_rate', 'lacp_active', 'ad_select', 'ad_user_port_key', 'ad_actor_sys_prio', 'ad_actor_system', 'arp_missed_max',
  ].map((k) => [k, k]).concat([['peer_notif_delay', 'peer_notify_delay']]),
);

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

/** Whether the kernel accepts an option in a bonding mode (bond_options.c unsupported-mode masks). */
function supportedIn(key: string, mode: string): boolean {
  const modes = BOND_OPTIONS[key]?.modes;
  return !modes || modes.includes(Number(mode));
}

/** The numeric default of a bond option for a mode ('' = unset). */
export function bondDefault(mode: string, key: string): string | undefined {
  return (BOND_DEFAULTS[mode] ?? BOND_DEFAULTS['0']!)[key];
}

/**
 * How a bond's options go from `f` to `t` (numeric maps with mode). Options the new config drops
 * are reset to the new mode's default; a mode change also moves the options whose default
 * differs between the modes (miimon). Pure.
 */
export function bondOptionChange(f: Record<string, string>, t: Record<string, string>): BondOptionChange {
  const oldMode = f.mode ?? '0';
  const mode = t.mode ?? '0';
  const out: BondOptionChange = { pre: { set: {}, old: {} }, main: { set: {}, old: {} }, undoPre: {}, needsDown: false, needsRelease: false };
  const keys = new Set([...Object.keys(f), ...Object.keys(t), ...(oldMode !== mode ? Object.keys(BOND_DEFAULTS[mode] ?? {}) : [])]);
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

/** `ip link set B type bond ...` arguments for the given numeric options (sysfs-only ones left out). */
export function bondIpArgs(opts: Record<string, string>): string[] {
  const out: string[] = [];
  // mode first: the kernel resets some options (miimon) when the mode changes.
  const keys = Object.keys(opts).sort((a, b) => (a === 'mode' ? -1 : b === 'mode' ? 1 : a < b ? -1 : 1));
  for (const k of keys) {
    const ipName = IP_BOND_OPTIONS[k];
    if (!ipName) continue;
    const v = opts[k]!;
    if (k === 'primary' && v === '') continue; // cleared through sysfs
    out.push(ipName, v);
  }
  return out;
}

/** The options `ip` cannot set (or cannot clear): written through sysfs. */
export function bondSysfsOnly(opts: Record<string, string>): [string, string][] {
  return Object.entries(opts).filter(([k, v]) => !IP_BOND_OPTIONS[k] || (k === 'primary' && v === ''));
}
