/**
 * The PyTorch yardstick of `shrinkml bench` (issue 8): where PyTorch is installed, the same architecture, fp32
 * weights and data go through PyTorch's own dynamic and static int8 quantization (bench/pytorch/yardstick.py) and
 * stand as rows beside shrinkml's variants. Optional by design: without torch the bench says why it did not run.
 */
export { detectTorch, pythonCandidates } from './detect.js';
export type { DetectTorchOptions, TorchProbe } from './detect.js';
export { exportForYardstick } from './export.js';
export type { YardstickLayer, YardstickModel } from './export.js';
export { runYardstick, yardstickScript, YARDSTICK_VARIANTS } from './run.js';
export type { WeightTransfer, YardstickOptions, YardstickOutcome, YardstickResult, YardstickRow, YardstickVariant } from './run.js';
export { yardstickNote, yardstickRows, YARDSTICK_ROW_NAMES } from './rows.js';
