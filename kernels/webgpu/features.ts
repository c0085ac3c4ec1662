/**
 * Which WGSL path our WebGPU kernels take. `packed_4x8_integer_dot_product` (dot4I8Packed) is a WGSL language
 * feature that older browsers and some adapters lack; without it the kernels use a portable path built from core
 * WGSL (extractBits), which gives the same integers, only slower.
 */
export interface WebGPUKernelOptions {
  /** Force the portable path even where dot4I8Packed exists (tests of the fallback; debugging a driver). */
  portable?: boolean;
  /**
   * Take the exact integer division path for every element, not only near rounding ties (tests of that path).
   * The result is the same either way; only the speed differs.
   */
  alwaysExactDivision?: boolean;
}

const options: WebGPUKernelOptions = {};

/** Changes the options for programs compiled from now on (programs are cached by variant, so both may coexist). */
export function setWebGPUKernelOptions(o: WebGPUKernelOptions): void {
  Object.assign(options, o);
}

export function webgpuKernelOptions(): Readonly<WebGPUKernelOptions> {
  return options;
}

/** True when this WebGPU implementation's WGSL has dot4I8Packed / pack4xI8 and the portable path is not forced. */
export function hasPackedDot(): boolean {
  if (options.portable) return false;
  const features = (globalThis as { navigator?: { gpu?: { wgslLanguageFeatures?: ReadonlySet<string> } } })
    .navigator?.gpu?.wgslLanguageFeatures;
  return !!features?.has('packed_4x8_integer_dot_product');
}
