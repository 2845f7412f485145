// The one lab client of test/, bench/ and reliability/: the lab's OvirtNodeNetwork and
// OvirtNetworkPolicy objects driven through the API (onn.ts, onp.ts: one Onn type, one
// getOnn/setSpec, one waitForGeneration that steps over ApiUnreachable and API errors), the lab
// itself (lab.ts: ensureLab/requireLab, exec in a node, kubectl, agent PIDs), a node's host state
// (host.ts) and scratch network namespaces on this machine (netns.ts). It may import src/ and
// the lab (lab/src); the product never imports it.
export * from './host.js';
export * from './lab.js';
export * from './netns.js';
export * from './onn.js';
export * from './onp.js';
