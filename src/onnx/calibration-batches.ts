import { ShrinkmlError } from '../core/errors.js';
import type { Dataset } from '../data/types.js';
import type { OnnxValueInfo } from '../formats/types.js';
import { datasetFeed } from './data.js';
import type { HostTensor } from './ort.js';

/** One run's inputs: graph input name → tensor, batch first. */
export type Feeds = Record<string, HostTensor>;

/**
 * Calibration data as a stream of batches: an array, a generator, or an async generator (images decoded in a
 * browser as they arrive). Only the batch being run is held; the observers keep statistics, not samples.
 */
export type CalibrationBatches = Iterable<Feeds> | AsyncIterable<Feeds>;

/** A Dataset cut into batches for its one input, in order, without copying the whole set. */
export function* datasetBatches(dataset: Dataset, input: OnnxValueInfo, batchSize: number): Generator<Feeds> {
  for (let start = 0; start < dataset.count; start += batchSize) {
    yield { [input.name]: datasetFeed(dataset, input, { start, end: Math.min(start + batchSize, dataset.count) }) };
  }
}

/** The samples in one batch: the first dimension its feeds share. */
export function batchSamples(feeds: Feeds): number {
  const firsts = new Set(Object.values(feeds).map((t) => t.dims[0]));
  const [n] = firsts;
  if (firsts.size !== 1 || n === undefined || !Number.isInteger(n)) {
    throw new ShrinkmlError('BAD_INPUT', `calibration batch: feeds ${Object.keys(feeds).join(', ') || '(none)'} must share a batch dimension`, { subject: 'batches' });
  }
  return n;
}

/** Total samples for progress, when known without consuming the stream (0 when it is not). */
export function knownTotal(batches: CalibrationBatches): number {
  return Array.isArray(batches) ? (batches as Feeds[]).reduce((s, b) => s + batchSamples(b), 0) : 0;
}
