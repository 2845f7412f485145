// The plugin's only door to the API server: one GET of a node's OvirtNodeNetwork, through the
// project's client (src/k8s), connected as kubectl connects (--kubeconfig, --context,
// $KUBECONFIG, ~/.kube/config, then the in-cluster service account).
import { OnnClient, type OnnObject } from '../k8s/client.js';
import { loadConnection } from '../k8s/connection.js';

export interface NodeSource {
  /** The object named after the node; undefined when there is none. */
  get(node: string): Promise<OnnObject | undefined>;
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
  return { get: (node) => client.get(node), close: () => client.http.close() };
}
