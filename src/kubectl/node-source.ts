// The plugin's only door to the API server: one GET of a node's OvirtNodeNetwork (or, for
// `plan --policy`, LISTs of the policies, Nodes and node objects), through the
// project's client (src/k8s), connected as kubectl connects (--kubeconfig, --context,
// $KUBECONFIG, ~/.kube/config, then the in-cluster service account).
import { OnnClient, type OnnObject } from '../k8s/client.js';
import { loadConnection } from '../k8s/connection.js';
import { NODE_PATH, ONN_COLLECTION, POLICY_PATH, type KubeList, type KubeObject } from '../k8s/resources.js';

/** What `plan --policy` decides from: every policy, Node and node object, as the controller's caches hold them. */
export interface FleetObjects {
  policies: KubeObject[];
  nodes: KubeObject[];
  onns: OnnObject[];
}

export interface NodeSource {
  /** The object named after the node; undefined when there is none. */
  get(node: string): Promise<OnnObject | undefined>;
  /** Three LISTs (read only): the world the policy controller decides from. */
  fleet(): Promise<FleetObjects>;
  /** Ends the client's idle keep-alive connections, which would hold the process open. */
  close(): void;
}

export interface ConnectFlags {
  kubeconfig?: string;
  context?: string;
}

export async function connect(flags: ConnectFlags, env: NodeJS.ProcessEnv): Promise<NodeSource> {
  const conn = await loadConnection(flags.kubeconfig, env, {
    kubeconfigFirst: true,
    ...(flags.context !== undefined ? { context: flags.context } : {}),
  });
  const client = new OnnClient(conn);
  const list = async <T>(path: string) => (await client.http.call<KubeList<T>>('GET', path)).items;
  return {
    get: (node) => client.get(node),
    fleet: async () => {
      const [policies, nodes, onns] = await Promise.all([
        list<KubeObject>(POLICY_PATH),
        list<KubeObject>(NODE_PATH),
        list<OnnObject>(ONN_COLLECTION),
      ]);
      return { policies, nodes, onns };
    },
    close: () => client.http.close(),
  };
}
