// MTU of devices that stay: decreases upper device first, increases lower device first, so a
// lower device is never smaller than its uppers (the kernel refuses a VLAN bigger than its link).
// New devices are created with their MTU; NICs let go of get their own back (teardown.ts).
import { ip } from '../ops.js';
import { link, type Change, type ChangeBase } from './context.js';
import type { Emit } from './types.js';

/** Bridges above VLAN devices above bonds above NICs. */
function layerOf(c: ChangeBase, dev: string): number {
  return c.toDevices.bridges.has(dev) ? 3 : c.toDevices.vlans.has(dev) ? 2 : c.toDevices.bonds.has(dev) ? 1 : 0;
}

/**
 * The MTU the desired config gives a device that exists before the change; undefined when it sets
 * none. A southbound the handler does not own (a bond of the node) still carries the largest MTU
 * of the networks on it, or a VLAN above it could not have theirs.
 */
export function mtuTarget(c: ChangeBase, dev: string): number | undefined {
  if (c.created.has(dev)) return undefined;
  return (
    c.toDevices.bridges.get(dev)?.mtu ??
    c.toDevices.vlans.get(dev)?.mtu ??
    c.toDevices.bonds.get(dev)?.mtu ??
    c.toDevices.nics.get(dev)?.mtu ??
    c.toDevices.foreignSouthbounds.get(dev)
  );
}

/** The MTU change a device needs, as [now, target], when the kernel has another one. */
export function mtuChange(c: ChangeBase, dev: string): [number, number] | undefined {
  const want = mtuTarget(c, dev);
  const now = link(c, dev)?.mtu;
  return want === undefined || now === undefined || now === want ? undefined : [now, want];
}

export function emitMtu(c: Change, dev: string, emit: Emit): void {
  const ch = mtuChange(c, dev);
  if (!ch) return;
  const [now, want] = ch;
  const layer = layerOf(c, dev);
  if (want < now)
    emit('mtu-down', ip('link', 'set', 'dev', dev, 'mtu', want), [ip('link', 'set', 'dev', dev, 'mtu', now)], {
      rank: -layer,
    });
  else
    emit('mtu-up', ip('link', 'set', 'dev', dev, 'mtu', want), [ip('link', 'set', 'dev', dev, 'mtu', now)], {
      rank: layer,
    });
}
