// What the process environment may set, read once by the entry points (the verbs in src/cli)
// and passed down as options: nothing under src/apply, src/agent or src/k8s reads process.env.

/** The namespace deploy/ installs into, when nothing else names one (an agent run by hand, the lab's VM agent). */
export const DEFAULT_INSTALL_NAMESPACE = 'ovirt-node-network-handler';

/**
 * The namespace a verb writes its Events (and the controller its Lease) to: --namespace, else
 * $POD_NAMESPACE (the downward API, as deploy/ sets it), else the default install namespace.
 * RBAC grants Events in the install namespace only, so this must be where the pod runs.
 */
export function installNamespace(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const ns = flag ?? (env.POD_NAMESPACE || undefined) ?? DEFAULT_INSTALL_NAMESPACE;
  // A DNS-1123 label, as every namespace name is; anything else would be refused by the API later, less clearly.
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns))
    throw new Error(
      `namespace ${JSON.stringify(ns)}: expected a DNS-1123 label (lowercase letters, digits, '-', at most 63)`,
    );
  return ns;
}
