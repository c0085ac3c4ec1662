/** Kept in step with package.json by test/core/version.test.ts (reading package.json at run time is not browser-safe). */
export const VERSION = '0.1.0';
