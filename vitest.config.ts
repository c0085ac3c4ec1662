import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Dawn needs a Vulkan driver; on machines without a GPU, Chromium's SwiftShader ICD gives a real (slow) one.
const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
const env: Record<string, string> = {};
if (!process.env.VK_ICD_FILENAMES && existsSync(swiftshader)) env.VK_ICD_FILENAMES = swiftshader;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Forks, not threads: the Dawn addon and tfjs-backend-wasm keep process-wide state.
    pool: 'forks',
    setupFiles: ['test/setup/quiet-tfjs.ts'],
    env,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
