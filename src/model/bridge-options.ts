// Bridge options (`bridgeOpts: "k=v k=v"`): the writable attributes of
// /sys/class/net/<bridge>/bridge and their kernel defaults (one table), canonicalized to sorted
// "k=v" like VDSM's custom.bridge_opts, and reported as the non-default ones (as VDSM does bonds).
import { sameOptionValue, splitKvToken, words } from '../util/kv.js';

/** One writable bridge attribute: the value a fresh bridge shows in sysfs (its units). */
interface BridgeOptionRow {
  readonly default: string;
  /**
   * Other readings of the default: sysfs shows jiffies in centiseconds, so a default that is not a
   * whole number of jiffies reads one lower on some HZ (31.25 s is 3124 at HZ=250, 3125 at 1000).
   */
  readonly alsoDefault?: readonly string[];
  /**
   * The only values the kernel keeps as written, where it has such a list: a flag stores any
   * non-zero number as 1 (multicast_snooping=7 reads back 1, a drift on every pass), and the
   * version and router options refuse the rest (EINVAL) after the bridge is made.
   */
  readonly values?: readonly string[];
}

const FLAG = ['0', '1'] as const;

/**
 * Every writable attribute of /sys/class/net/<bridge>/bridge with the kernel's default
 * (br_dev_setup, br_multicast_init, br_vlan_init). stp_state is not here: the network's `stp`
 * field owns it. Validation, the compiler's resets and the non-default options capabilities
 * report all derive from this table.
 */
const BRIDGE_OPTION_TABLE: Readonly<Record<string, BridgeOptionRow>> = {
  ageing_time: { default: '30000' },
  forward_delay: { default: '1500' },
  hello_time: { default: '200' },
  max_age: { default: '2000' },
  priority: { default: '32768' },
  group_fwd_mask: { default: '0x0' },
  group_addr: { default: '01:80:c2:00:00:00' },
  hash_elasticity: { default: '16' },
  hash_max: { default: '4096' },
  multicast_last_member_count: { default: '2' },
  multicast_last_member_interval: { default: '100' },
  multicast_membership_interval: { default: '26000' },
  multicast_querier: { default: '0', values: FLAG },
  multicast_querier_interval: { default: '25500' },
  multicast_query_interval: { default: '12500' },
  multicast_query_response_interval: { default: '1000' },
  multicast_query_use_ifaddr: { default: '0', values: FLAG },
  multicast_router: { default: '1', values: ['0', '1', '2'] },
  multicast_snooping: { default: '1', values: FLAG },
  multicast_startup_query_count: { default: '2' },
  multicast_startup_query_interval: { default: '3125', alsoDefault: ['3124'] },
  multicast_stats_enabled: { default: '0', values: FLAG },
  multicast_igmp_version: { default: '2', values: ['2', '3'] },
  multicast_mld_version: { default: '1', values: ['1', '2'] },
  nf_call_arptables: { default: '0', values: FLAG },
  nf_call_ip6tables: { default: '0', values: FLAG },
  nf_call_iptables: { default: '0', values: FLAG },
  vlan_filtering: { default: '0', values: FLAG },
  vlan_protocol: { default: '0x8100', values: ['0x8100', '0x88a8'] },
  default_pvid: { default: '1' },
  vlan_stats_enabled: { default: '0', values: FLAG },
  vlan_stats_per_port: { default: '0', values: FLAG },
  no_linklocal_learn: { default: '0', values: FLAG },
};

/** Writable bridge attributes (stp_state excluded: the network's `stp` field owns it). */
export const BRIDGE_OPTIONS: ReadonlySet<string> = new Set(Object.keys(BRIDGE_OPTION_TABLE));

/** Each writable attribute's default, in the form the compiler writes back when an option is dropped. */
export const BRIDGE_DEFAULTS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(BRIDGE_OPTION_TABLE).map(([k, r]) => [k, r.default]),
);

/**
 * Files of bridge/ that are not options: STP and garbage-collection state and timers (which move
 * on every read), the write-only flush, and stp_state (reported as the bridge's `stp`).
 */
export const BRIDGE_STATE_FILES: ReadonlySet<string> = new Set([
  'bridge_id',
  'root_id',
  'root_port',
  'root_path_cost',
  'topology_change',
  'topology_change_detected',
  'hello_timer',
  'tcn_timer',
  'topology_change_timer',
  'gc_timer',
  'flush',
  'stp_state',
]);

/** Whether sysfs value `v` of option `k` is its default (unknown options have none). */
export function isDefaultBridgeValue(k: string, v: string): boolean {
  const row = BRIDGE_OPTION_TABLE[k];
  return row !== undefined && [row.default, ...(row.alsoDefault ?? [])].some((d) => sameOptionValue(d, v));
}

/**
 * The options of a bridge (raw bridge/* files) that differ from the kernel's defaults, sorted, as
 * VDSM reports a bond's: state files left out; an option this table does not know (a newer
 * kernel's) is kept unless empty.
 */
export function nonDefaultBridgeOptions(raw: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(raw).sort()) {
    const v = raw[k]!;
    if (BRIDGE_STATE_FILES.has(k) || isDefaultBridgeValue(k, v) || (!(k in BRIDGE_OPTION_TABLE) && v === '')) continue;
    out[k] = v;
  }
  return out;
}

/**
 * STP timers in sysfs units (centiseconds) the kernel accepts (br_private.h BR_MIN/MAX_*):
 * hello_time and max_age always; forward_delay while STP is on (br_set_forward_delay refuses
 * others with ERANGE, and turning STP on clamps it into range, so it would not read back).
 */
export const STP_TIMERS: Readonly<Record<string, { min: number; max: number; onlyWithStp: boolean }>> = {
  hello_time: { min: 100, max: 1000, onlyWithStp: false },
  max_age: { min: 600, max: 4000, onlyWithStp: false },
  forward_delay: { min: 200, max: 3000, onlyWithStp: true },
};

/** Every problem of a bridgeOpts string (`stp`: the network's stp field). */
export function bridgeOptionErrors(opts: string, stp = false): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  // Token by token, so the messages come in the order the options were written.
  for (const tok of words(opts)) {
    const kv = splitKvToken(tok);
    if (!kv) {
      errors.push(`"${tok}" is not of the form option=value`);
      continue;
    }
    const [k] = kv;
    if (k === 'stp_state') errors.push("stp_state is set with the network's stp field, not bridgeOpts");
    else if (!BRIDGE_OPTIONS.has(k)) errors.push(`unknown bridge option "${k}"`);
    else if (seen.has(k)) errors.push(`${k} is given twice`);
    else {
      const allowed = BRIDGE_OPTION_TABLE[k]!.values;
      // Written exactly so: the kernel's parser takes forms (0x1, 01) that would read back otherwise.
      if (allowed && !allowed.includes(kv[1].toLowerCase()))
        errors.push(`${k}=${kv[1]}: must be one of ${allowed.join(', ')}`);
      const range = STP_TIMERS[k];
      const v = Number(kv[1]);
      if (range && (stp || !range.onlyWithStp) && !(Number.isInteger(v) && v >= range.min && v <= range.max)) {
        errors.push(
          `${k}=${kv[1]}: must be ${range.min}..${range.max} (centiseconds)` +
            (range.onlyWithStp ? ' while stp is on' : ''),
        );
      }
    }
    seen.add(k);
  }
  return errors;
}

/** Sorted "k=v" (by key), or undefined when empty: an empty string configures nothing. */
export function canonicalBridgeOpts(opts: string | undefined): string | undefined {
  if (opts === undefined) return undefined;
  const list = words(opts);
  if (list.length === 0) return undefined;
  const key = (t: string): string => t.split('=', 1)[0]!;
  return list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)).join(' ');
}
