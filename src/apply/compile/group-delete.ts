// Deleting many devices at once (pure). The kernel pays an unregister (RCU grace periods, sysfs
// and notifier work) per `ip link del dev X`; `ip link del group G` hands every device of the
// group to one unregister_netdevice_many, which pays those once for all of them (800 bridges on
// this machine's kernel: docs/benchmarks.md, "Scale"). So a run of deletions becomes:
//
//   ip link set dev X1 group G    undo: ip link set dev X1 group <X1's group before>
//   ...
//   ip link set dev Xn group G    undo: ip link set dev Xn group <Xn's group before>
//   ip link del group G           undo: the deletions' undos, Xn's first (as a rollback runs them)
//
// which leaves the kernel, and every prefix of it the undo (journal) and a crash see, as the
// per-device deletes would: nothing is deleted before the one `del group`, which either
// deletes all of them or none (the kernel refuses the whole group before unregistering any).
// G is DELETE_LINK_GROUP; a device the transaction does not delete that may be in it (its
// number, or a group name `ip` resolves from /etc/iproute2/group, which could be that number)
// would go with the group: then the deletes stay per device.
import { DELETE_LINK_GROUP } from '../../api/constants.js';
import { ip, type KernelOp, type PlannedOp } from '../ops.js';
import type { CompileFacts } from './facts.js';

const GROUP = String(DELETE_LINK_GROUP);

/**
 * Fewer deletions than this stay per device. Two already save an unregister batch (the `set
 * group` lines cost microseconds each); one gains nothing.
 */
export const GROUP_DELETE_MIN = 2;

/** The device a plain `ip link del dev X` with its undo deletes; undefined for any other operation. */
export function deletedDevice(p: PlannedOp): string | undefined {
  const o = p.op;
  if (o.kind !== 'ip' || o.family !== undefined || p.bestEffort || p.undo === 'previous') return undefined;
  const [obj, verb, dev, name, ...rest] = o.args;
  return obj === 'link' && verb === 'del' && dev === 'dev' && name !== undefined && rest.length === 0
    ? name
    : undefined;
}

/** Whether a device outside `deleting` is, or may be, in the deletion group. */
export function groupTaken(host: CompileFacts, deleting: ReadonlySet<string>): boolean {
  return Object.values(host.links).some(
    (l) => !deleting.has(l.name) && l.group !== undefined && (l.group === GROUP || !/^\d+$/.test(l.group)),
  );
}

/** One run of deletions as set-group lines and one group delete. */
function deleteAsGroup(run: readonly PlannedOp[], host: CompileFacts): PlannedOp[] {
  const moves = run.map((p): PlannedOp => {
    const dev = deletedDevice(p)!;
    return {
      op: ip('link', 'set', 'dev', dev, 'group', GROUP),
      undo: [ip('link', 'set', 'dev', dev, 'group', host.links[dev]?.group ?? 'default')],
      step: p.step,
    };
  });
  const undo = run.toReversed().flatMap((p) => p.undo as KernelOp[]);
  // Attributed to the first deletion's step: a failure of the group names where it began.
  return [...moves, { op: ip('link', 'del', 'group', GROUP), undo, step: run[0]!.step }];
}

/** The operations with every run of GROUP_DELETE_MIN or more consecutive deletions deleted as a group. */
export function groupDeletes(ops: readonly PlannedOp[], host: CompileFacts): PlannedOp[] {
  const deleting = new Set(ops.map(deletedDevice).filter((d): d is string => d !== undefined));
  if (deleting.size < GROUP_DELETE_MIN || groupTaken(host, deleting)) return [...ops];
  const out: PlannedOp[] = [];
  let i = 0;
  while (i < ops.length) {
    let j = i;
    while (j < ops.length && deletedDevice(ops[j]!) !== undefined) j++;
    if (j - i >= GROUP_DELETE_MIN) {
      out.push(...deleteAsGroup(ops.slice(i, j), host));
      i = j;
    } else {
      out.push(ops[i]!);
      i++;
    }
  }
  return out;
}
