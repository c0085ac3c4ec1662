export { selectBackend } from './select.js';
export type { SelectBackendOptions } from './select.js';
export { defaultProbes } from './probes.js';
export type { BackendProbes } from './probes.js';
export { BACKEND_REQUESTS } from './types.js';
export type { AdapterDescription, BackendChoice, BackendRequest, ConcreteBackend } from './types.js';
