// The kernel work of setHostQos steps: a device's HFSC tree (model/host-qos.ts), from the tree
// the host read found to the one the desired config's networks on that device want. Several
// networks share a device's tree, so the first setHostQos step of the plan on a device owns all
// of its commands (the others emit nothing); each command's undo is journalled before it runs,
// and the undo of all of them, last first, gives back the tree the kernel had.
import { desiredTree, treeCommands, type QosTree, type TcCommand } from '../../model/host-qos.js';
import { southboundOf } from '../../model/device-names.js';
import type { Step } from '../../plan/plan.js';
import type { KernelOp } from '../ops.js';
import type { Change } from './context.js';
import type { Emit, Phase } from './types.js';

type QosStep = Extract<Step, { kind: 'setHostQos' }>;

const DEFAULT_TREE: QosTree = { kind: 'default' };

/** The index of the plan's first setHostQos step on `device`. */
function ownerOf(c: Change, device: string): number {
  return c.plan.findIndex((p) => p.kind === 'setHostQos' && southboundOf(p.topology) === device);
}

function tcOp(args: string[]): KernelOp {
  return args[1] === 'del' ? { kind: 'tc', args, okIfMissing: true } : { kind: 'tc', args };
}

function emitAll(emit: Emit, phase: Phase, cmds: readonly TcCommand[]): void {
  for (const k of cmds) emit(phase, tcOp(k.args), k.undo.map(tcOp));
}

/**
 * Emits a device's tree change. A tree that goes away goes early ('qos-del', before a bond is
 * deleted or a NIC enslaved), one that is built or changed late ('qos-add', once a new bond
 * exists). A bond the change deletes (and may make again) loses its tree with it: its old tree
 * is taken down first, so the rollback (bond made again, then this undone) restores it.
 */
export function lowerHostQos(s: QosStep, c: Change, index: number, emit: Emit): void {
  const dev = southboundOf(s.topology);
  if (dev === undefined || ownerOf(c, dev) !== index) return;
  const kernel = c.host.qos?.[dev] ?? DEFAULT_TREE;
  const want = desiredTree(c.to.networks, dev);
  if (c.deleted.has(dev)) {
    emitAll(emit, 'qos-del', treeCommands(dev, kernel, DEFAULT_TREE));
    emitAll(emit, 'qos-add', treeCommands(dev, DEFAULT_TREE, want));
    return;
  }
  emitAll(emit, want.kind === 'default' ? 'qos-del' : 'qos-add', treeCommands(dev, kernel, want));
}
