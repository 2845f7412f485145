// The host model: the vocabulary of devices that observe, plan and apply share, one floor beneath
// all three so that none of them reaches sideways into another for it. The devices a config
// implies (layout.ts) and their kernel names (device-names.ts), the bridge option and bond option
// tables (bridge-options.ts, bond-options.ts), the host as one read finds it (host-state.ts) with
// the link predicates every reader classifies devices by (links.ts), validation's projection of it
// (host-facts.ts), and the DHCP clients as their files show them (dhcp-clients.ts, read-only:
// apply/dhcp.ts starts and stops them). Pure, but for that read of the clients' files.
// May import: api, util
export * from './bond-options.js';
export * from './bridge-options.js';
export * from './device-names.js';
export * from './dhcp-clients.js';
export * from './ethtool.js';
export * from './ethtool-params.js';
export * from './host-qos.js';
export * from './host-facts.js';
export type * from './host-state.js';
export * from './layout.js';
export * from './links.js';
