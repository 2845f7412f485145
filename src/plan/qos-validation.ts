// Validation of hostQos (VDSM's host network QoS), each rule with where it comes from:
//   - VDSM (lib/vdsm/network/configurators/qos.py): the classes sit on the network's NIC or bond,
//     keyed by VLAN tag (a nicless network has none; tag 0 would be HFSC's root class 1389:0);
//     the link share curve is required (the default class takes it, _max_hfsc_ls_rate reads it);
//   - tc (q_hfsc.c hfsc_get_sc): a curve needs m2, and not both slopes zero;
//   - the oVirt engine: ls required (HostNetworkQosValidator.requiredValuesPresent), upper limit
//     at least the real time rate (valuesConsistent), and every network of an interface with QoS
//     or none (HostSetupNetworksValidator.validateQosNotPartiallyConfigured);
//   - the kernel of the node must have HFSC and the rest of the layout's modules;
//   - a value tc would read back rounded is refused, so that kernelConfig shows what was asked.
import type { NetworkConfig } from '../api/config.js';
import type { NetworkSpec } from '../api/spec.js';
import {
  QOS_CURVES,
  QOS_MODULES,
  tcRateExact,
  tcTimeExact,
  U32_MAX,
  type HostQosCurve,
  type QosCurveName,
} from '../model/host-qos.js';
import { southboundOf } from '../model/device-names.js';

type Report = (path: string, message: string) => void;

export const QOS_ENGINE_SOURCE = {
  required: 'oVirt engine: HostNetworkQosValidator.requiredValuesPresent',
  consistent: 'oVirt engine: HostNetworkQosValidator.valuesConsistent',
  partial: 'oVirt engine: HostSetupNetworksValidator.validateQosNotPartiallyConfigured',
} as const;

/** Why a slope cannot be given to tc as it is, or undefined. `bits`: the value at tc's level. */
function rateProblem(name: QosCurveName, bits: number): string | undefined {
  if (name === 'ls' && bits / 8 > U32_MAX) return `must be at most ${U32_MAX} (tc takes eight times the share)`;
  if (tcRateExact(bits)) return undefined;
  if (name !== 'ls' && bits % 8 !== 0) return 'must be a multiple of 8 bit/s: tc keeps bytes per second';
  return (
    'is not a rate tc reads back exactly: above 1 Mbit/s use a multiple of 1000 bit/s (of 10^6 above 1 Gbit/s' +
    (name === 'ls' ? ', with the share times 8' : '') +
    ')'
  );
}

function curveErrors(at: (f: string) => string, name: QosCurveName, c: HostQosCurve, report: Report): void {
  const k = name === 'ls' ? 8 : 1;
  if (c.m2 === undefined) report(at('m2'), 'is required: tc takes no service curve without its m2 slope');
  else if (!c.m1 && !c.m2) report(at('m2'), 'a service curve with two zero slopes is refused by tc');
  for (const f of ['m1', 'm2'] as const) {
    const v = c[f];
    const p = v === undefined ? undefined : rateProblem(name, v * k);
    if (p) report(at(f), p);
  }
  if (c.d !== undefined && !tcTimeExact(c.d))
    report(at('d'), 'is not a time tc reads back exactly: above 1 ms use a multiple of 100 µs (100000 µs above 1 s)');
}

/** The rules within one network's hostQos. */
export function hostQosErrors(base: string, net: NetworkSpec, report: Report): void {
  const q = net.hostQos;
  if (q === undefined) return;
  const at = (...fs: string[]) => [base, 'hostQos', ...fs].join('.');
  if (net.nic === undefined && net.bonding === undefined)
    report(at(), 'hostQos needs a southbound device (nic or bonding): its class sits on it');
  if (net.vlan === 0)
    report(at(), "hostQos cannot be on VLAN 0: VDSM keys the class by the tag, and 1389:0 is HFSC's root class");
  if (q.out.ls === undefined)
    report(
      at('out', 'ls'),
      `is required: the link share curve (${QOS_ENGINE_SOURCE.required}, and VDSM's default class takes it)`,
    );
  for (const name of QOS_CURVES) {
    const c = q.out[name];
    if (c) curveErrors((f) => at('out', name, f), name, c, report);
  }
  const ul = q.out.ul?.m2;
  const rt = q.out.rt?.m2;
  if (ul !== undefined && rt !== undefined && ul < rt)
    report(
      at('out', 'ul', 'm2'),
      `must be at least rt.m2 (${rt}): the upper limit caps the real time rate too (${QOS_ENGINE_SOURCE.consistent})`,
    );
}

/**
 * The rules across networks and against the node: on each NIC or bond either every network
 * has hostQos or none; and hostQos needs a kernel with the layout's modules (`missing`, as the
 * host read found them; undefined: not known, unchecked).
 */
export function qosDeviceErrors(
  networks: Readonly<Record<string, NetworkConfig>>,
  names: readonly string[],
  missing: readonly string[] | undefined,
  at: (network: string) => string,
  report: Report,
): void {
  const byDevice = new Map<string, { qos: string[]; plain: string[] }>();
  for (const n of names) {
    const net = networks[n]!;
    const dev = southboundOf(net);
    if (dev === undefined) continue;
    const e = byDevice.get(dev) ?? { qos: [], plain: [] };
    (net.hostQos ? e.qos : e.plain).push(n);
    byDevice.set(dev, e);
  }
  for (const [dev, e] of byDevice) {
    if (!e.qos.length || !e.plain.length) continue;
    for (const n of e.plain)
      report(
        at(n),
        `is required: ${e.qos.join(', ')} on ${dev} ${e.qos.length > 1 ? 'have' : 'has'} hostQos, and the networks ` +
          `of an interface have it all or none (${QOS_ENGINE_SOURCE.partial})`,
      );
  }
  if (!missing?.length) return;
  const what = missing.map((m) => `${m} (${QOS_MODULES[m] ?? 'a tc module'})`).join(', ');
  for (const n of names)
    if (networks[n]!.hostQos)
      report(
        at(n),
        `needs kernel support this node lacks: ${what} not found loaded (/sys/module), built in or loadable ` +
          '(/lib/modules)',
      );
}
