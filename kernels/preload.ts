/**
 * `node --import ./dist/kernels/preload.js <script>`: imports tfjs-backend-wasm and registers our kernels before a
 * script runs, for scripts that do not call registerKernels() themselves (e.g. scripts/train-models.ts today).
 */
import '@tensorflow/tfjs-backend-wasm';
import { registerKernels } from './registry.js';

await registerKernels();
