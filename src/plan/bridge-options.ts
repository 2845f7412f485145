// Bridge options (`bridgeOpts: "k=v k=v"`): the writable attributes of
// /sys/class/net/<bridge>/bridge, canonicalized to sorted "k=v" like VDSM's custom.bridge_opts.
import { splitKvToken, words } from '../util/kv.js';

/** Writable bridge attributes. stp_state is excluded: the network's `stp` field owns it. */
export const BRIDGE_OPTIONS: ReadonlySet<string> = new Set([
  'ageing_time', 'forward_delay', 'hello_time', 'max_age', 'priority', 'group_fwd_mask', 'group_addr',
  'hash_elasticity', 'hash_max', 'multicast_last_member_count', 'multicast_last_member_interval',
  'multicast_membership_interval', 'multicast_querier', 'multicast_querier_interval', 'multicast_query_interval',
  'multicast_query_response_interval', 'multicast_query_use_ifaddr', 'multicast_router', 'multicast_snooping',
  'multicast_startup_query_count', 'multicast_startup_query_interval', 'multicast_stats_enabled',
  'multicast_igmp_version', 'multicast_mld_version', 'nf_call_arptables', 'nf_call_ip6tables', 'nf_call_iptables',
  'vlan_filtering', 'vlan_protocol', 'default_pvid', 'vlan_stats_enabled', 'vlan_stats_per_port',
  'no_linklocal_learn',
]);

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
    if (k === 'stp_state') errors.push('stp_state is set with the network\'s stp field, not bridgeOpts');
    else if (!BRIDGE_OPTIONS.has(k)) errors.push(`unknown bridge option "${k}"`);
    else if (seen.has(k)) errors.push(`${k} is given twice`);
    else {
      const range = STP_TIMERS[k];
      const v = Number(kv[1]);
      if (range && (stp || !range.onlyWithStp) && !(Number.isInteger(v) && v >= range.min && v <= range.max)) {
        errors.push(`${k}=${kv[1]}: must be ${range.min}..${range.max} (centiseconds)${range.onlyWithStp ? ' while stp is on' : ''}`);
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
