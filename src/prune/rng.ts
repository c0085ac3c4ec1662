/** Seeded randomness so random importance (a benchmark baseline) is reproducible. */
export { mulberry32 as seededRandom } from '../core/random.js';
