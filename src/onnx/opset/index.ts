export { upgradeOpset, defaultOpset } from './upgrade.js';
export type { OpsetUpgrade, UpgradeOptions } from './upgrade.js';
export { hoistConstants } from './hoist.js';
export { OPS, REMOVED, MAX_KNOWN_OPSET, opVersionAt } from './ops.js';
export type { OpVersion } from './ops.js';
export { assertValidGraph, graphProblems } from './validate.js';
