export { decodeGraphWeights, type GraphWeight } from './weights.js';
export { attrString, graphNodes, producerOf, weightRoles, type NodeDef, type RoleKind, type WeightRole } from './roles.js';
export { encodeGraphWeight, GRAPH_WEIGHT_MODES, INT4_BLOCK, packNibbles, type EncodedGraphWeight, type GraphWeightMode } from './quantize.js';
export { graphWeightBits, isGeneratedName, rewriteGraph, type GraphWeightRow, type RewrittenGraph } from './rewrite.js';
export { GRAPH_SHARD_BYTES, graphFilesOf, readGraphFiles, writeGraphFolder, type GraphFiles } from './io.js';
export { planStaticInt8, rewriteInt8Ops, tensorName, type ActivationRange, type Int8OpPlan, type StaticInt8, type StaticInt8Plan } from './static-int8.js';
export { correctBiases, outputShift, type CorrectionReport, type GraphCalibration, type KernelStats } from './correction.js';
export { gptqCodes } from './gptq.js';
