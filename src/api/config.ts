// The configuration vocabulary shared by every stage: VDSM setupNetworks attributes in their
// canonical form (all defaults filled in). The running config (what the handler owns, as last
// applied), the canonical spec and the kernelConfig read back from the kernel all use it, so
// they compare with a deep equality. The types are those of the schemas in config-schema.ts (the
// persisted file's parser and status.kernelConfig in the CRD), so the three cannot drift apart.
import type { z } from 'zod';
import type {
  BondConfigSchema,
  HostQosCurveSchema,
  HostQosSchema,
  NetworkConfigSchema,
  NicConfigSchema,
  RunningConfigSchema,
} from './config-schema.js';

export type NetworkConfig = z.output<typeof NetworkConfigSchema>;
export type BondConfig = z.output<typeof BondConfigSchema>;
export type HostQos = z.output<typeof HostQosSchema>;
export type HostQosOut = HostQos['out'];
export type HostQosCurve = z.output<typeof HostQosCurveSchema>;
export type NicConfig = z.output<typeof NicConfigSchema>;
export type RunningConfig = z.output<typeof RunningConfigSchema>;

export function emptyConfig(): RunningConfig {
  return { networks: {}, bondings: {} };
}
