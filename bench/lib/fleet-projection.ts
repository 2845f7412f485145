// From the per-node figures measured on one lab (bench/many-nodes.ts) to a fleet of thousands of
// nodes: the load our objects put on the API server, its watchers and etcd. Arithmetic only —
// every row names what it assumes, and the table is meant to be pasted into docs/benchmarks.md
// next to the measurement it came from.
//
// What the projection assumes, all rows:
// - an agent writes only its own object, so its write rate and bytes per write do not depend on
//   the fleet's size (per-node figures are the lab's mean over its nodes, at rest);
// - the objects are as large as the lab's (same interfaces and networks per node);
// - everything else on the API server (kubelets, Nodes, Leases, pods, Events) is Kubernetes' own
//   and left out, except in the rows that say "lab, all clients".
import { fmtNumber, markdownTable } from '../../kit/report.js';
import type { WindowSummary } from './per-node.js';

/** The measured figures a projection starts from. */
export interface FleetFigures {
  /** Nodes measured. */
  nodes: number;
  rest: WindowSummary;
  /**
   * One change to every node at once (add, then remove a network): writes per node to the node
   * objects by every writer (the spec patches and the agents' status), and the agents' bytes.
   */
  change?: { writesPerNode: number; agentBytesPerNode: number };
  etcd: {
    /** etcd_mvcc_db_total_size_in_bytes at the window's start and end. */
    startBytes: number;
    endBytes: number;
    seconds: number;
  };
  /** kube-apiserver CPU at rest, in cores (CPU seconds / window seconds): every client of the lab. */
  apiserverCores: number;
}

export interface ProjectionAssumptions {
  /**
   * Watches of the whole ovirtnodenetworks collection: the controller's replicas (every replica
   * watches, not only the leader) plus kubectl/dashboards watching. Default 2 + 1.
   */
  collectionWatchers: number;
  /** How long etcd keeps every revision: the API server compacts every 5 minutes by default. */
  compactionSeconds: number;
}

export const DEFAULT_ASSUMPTIONS: ProjectionAssumptions = { collectionWatchers: 3, compactionSeconds: 300 };

export interface ProjectionRow {
  quantity: string;
  unit: 'writes/s' | 'B/s' | 'B' | 'B/h' | 'events/s' | 'cores' | 'writes';
  /** At the lab's size. */
  measured: number;
  /** false: the "per node" column is left empty (a whole-database figure). */
  perNode?: boolean;
  projected: number;
  assumes: string;
}

export interface Projection {
  nodes: number;
  measuredNodes: number;
  rows: ProjectionRow[];
  markdown: string;
}

/** 1536 → "1.5 KiB"; per-second units keep their "/s". */
export function fmtBytes(v: number, suffix = ''): string {
  if (!Number.isFinite(v)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = Math.abs(v);
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return fmtNumber(Math.sign(v) * x, `${units[i]}${suffix}`);
}

function fmtValue(v: number, unit: ProjectionRow['unit']): string {
  switch (unit) {
    case 'B': return fmtBytes(v);
    case 'B/s': return fmtBytes(v, '/s');
    case 'B/h': return fmtBytes(v, '/h');
    // Per-node rates are small: two significant digits rather than "0.00".
    default: return v !== 0 && Math.abs(v) < 0.1 ? `${Number(v.toPrecision(2))} ${unit}` : fmtNumber(v, unit);
  }
}

/**
 * The fleet's load at `nodes` nodes from the figures measured at figures.nodes, with a
 * markdown table: quantity, per node, at the lab's size, projected, and what the row assumes.
 */
export function projectFleet(figures: FleetFigures, nodes = 5000, a: ProjectionAssumptions = DEFAULT_ASSUMPTIONS): Projection {
  const n = figures.nodes;
  const w = figures.rest.writesPerSec.mean;
  const b = figures.rest.bytesPerSec.mean;
  const obj = figures.rest.objectBytes.mean;
  // Our objects' share of etcd at k nodes: one live value each, and every revision written since
  // the last compaction (etcd stores the whole object per write, not the patch).
  const etcdShare = (k: number) => k * obj + k * w * obj * a.compactionSeconds;
  const growthPerHour = figures.etcd.seconds > 0 ? ((figures.etcd.endBytes - figures.etcd.startBytes) / figures.etcd.seconds) * 3600 : Number.NaN;
  const scale = (measured: number) => (measured / n) * nodes;
  const rows: ProjectionRow[] = [
    { quantity: 'agent writes into the API server', unit: 'writes/s', measured: w * n, projected: w * nodes, assumes: 'a status patch per node per statistics interval at most; linear in nodes' },
    { quantity: 'request bytes into the API server', unit: 'B/s', measured: b * n, projected: b * nodes, assumes: 'bytes per write as in the lab (statistics of the same interfaces)' },
    { quantity: 'watch events to each collection watcher (a controller replica)', unit: 'events/s', measured: w * n, projected: w * nodes, assumes: 'every write of any node object is an event to every watcher of the collection' },
    { quantity: 'watch bytes to each collection watcher', unit: 'B/s', measured: w * n * obj, projected: w * nodes * obj, assumes: 'each event carries the whole object (JSON, uncompressed), mean object size of the lab' },
    {
      quantity: `watch bytes out of the API server (${a.collectionWatchers} collection watchers + each agent's own)`, unit: 'B/s',
      measured: w * n * obj * (a.collectionWatchers + 1), projected: w * nodes * obj * (a.collectionWatchers + 1),
      assumes: `${a.collectionWatchers} watchers of the whole collection (controller replicas + kubectl); every agent watches its own object, so sees its own writes once`,
    },
    { quantity: 'etcd writes (our objects)', unit: 'B/s', measured: w * n * obj, projected: w * nodes * obj, assumes: 'one revision of the whole object per write' },
    { quantity: "etcd: our objects' share of the database", unit: 'B', measured: etcdShare(n), projected: etcdShare(nodes), assumes: `live objects + every revision of the last ${a.compactionSeconds} s (the API server's compaction interval); bbolt's free pages not counted` },
    {
      quantity: 'etcd database file', unit: 'B', perNode: false, measured: figures.etcd.endBytes, projected: figures.etcd.endBytes - etcdShare(n) + etcdShare(nodes),
      assumes: "the lab's file with our share scaled; Kubernetes' own objects (Nodes, Leases, pods) kept at the lab's size; default quota 2 GiB",
    },
    {
      quantity: 'etcd database growth (lab, all clients)', unit: 'B/h', measured: growthPerHour, projected: scale(growthPerHour),
      assumes: 'growth over the window, linear in nodes; an upper bound: after a compaction bbolt reuses freed pages, so a fleet at rest stops growing',
    },
    { quantity: 'kube-apiserver CPU at rest (lab, all clients)', unit: 'cores', measured: figures.apiserverCores, projected: scale(figures.apiserverCores), assumes: "linear in nodes; includes the kubelets' own traffic and the lab's other clients" },
  ];
  if (figures.change) {
    rows.push(
      { quantity: 'writes to the node objects for one change to every node (spec and status)', unit: 'writes', measured: figures.change.writesPerNode * n, projected: figures.change.writesPerNode * nodes, assumes: 'the writes per node of the lab\'s change: one network added to every node, then removed; each is an event to every collection watcher' },
      { quantity: 'agent request bytes for that change', unit: 'B', measured: figures.change.agentBytesPerNode * n, projected: figures.change.agentBytesPerNode * nodes, assumes: 'bytes per node as in the lab' },
      { quantity: 'watch bytes to each collection watcher for that change', unit: 'B', measured: figures.change.writesPerNode * n * obj, projected: figures.change.writesPerNode * nodes * obj, assumes: 'whole objects of the lab\'s mean size' },
    );
  }
  const header = ['quantity', 'per node', `lab (${n} nodes)`, `projected (${nodes} nodes)`, 'assumes'];
  const markdown = markdownTable(header, rows.map((r) => [r.quantity, r.perNode === false ? '' : fmtValue(r.measured / n, r.unit), fmtValue(r.measured, r.unit), fmtValue(r.projected, r.unit), r.assumes]));
  return { nodes, measuredNodes: n, rows, markdown };
}
