// Planning, pure from spec to steps: validation of a spec against VDSM's rules and the node
// (validate.ts, the node known through model/host-facts.ts), its canonical config
// (canonicalize.ts), THE plan, the ordered steps from the running config to the desired one with
// their inverses (plan.ts), and the drift base a plan starts from when the kernel lost part of the
// running config (drift.ts). Nothing here reads the host: callers pass what observe read.
// May import: api, model, util
export * from './canonicalize.js';
export * from './drift.js';
export * from './plan.js';
export * from './validate.js';
