// The handler's state on disk: the running config, what it owns on this node as last applied
// (running-config.ts, written atomically), and the schemas every state file is checked against
// when it is read back (schemas.ts: the running config, origins.json and journal.json, whose
// values become paths and `ip` arguments). apply/ keeps the journal and the origins with these.
// May import: api, model, util
export * from './running-config.js';
export * from './schemas.js';
