export { trainSeeded, epochOrder } from './seeded.js';
export type { EpochLog, TrainCallbacks, TrainHistory, TrainSeededOptions } from './seeded.js';
export { evaluateAccuracy, modelInputShape } from './evaluate.js';
export type { EvaluateOptions, Predictor } from './evaluate.js';
