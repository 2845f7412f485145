// The OvirtNodeNetwork API: identifiers, the object type, and the schemas it is built from — the
// spec (spec.ts) with the one name rule (names.ts), the status (status.ts), the shared config
// vocabulary (config.ts, config-schema.ts), the policy (policy.ts), the CRDs generated from them
// (crd.ts) and the constants every floor shares (constants.ts). Types and schemas only, no I/O
// but gen-crd.ts's writing of the CRD files.
// May import: util
import { z } from 'zod';
import { SpecSchema } from './spec.js';
import { API_VERSION, KIND } from './constants.js';
import { StatusSchema } from './status.js';

/** A whole object as a user writes it (the seed's node_network.yml). */
export const OvirtNodeNetworkSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata: z.object({ name: z.string().optional() }).loose(),
  spec: SpecSchema.prefault({}),
  status: StatusSchema.optional(),
});

export type OvirtNodeNetwork = z.output<typeof OvirtNodeNetworkSchema>;

export * from './constants.js';
export * from './config.js';
export * from './config-schema.js';
export * from './spec.js';
export * from './status.js';
