export type ConcreteBackend = 'webgpu' | 'wasm' | 'cpu' | 'tensorflow';
/** A backend to ask selectBackend for: 'auto' or a concrete tfjs backend name. */
export type BackendRequest = 'auto' | ConcreteBackend;
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'webgpu', 'wasm', 'cpu', 'tensorflow'];

/** What we learned about a WebGPU adapter; `isFallback` is true for software adapters such as SwiftShader. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  description: string;
  isFallback: boolean;
}

/** The backend selectBackend activated, its device, and the candidates it skipped with why. */
export interface BackendChoice {
  /** The tfjs backend that is now active. */
  backend: ConcreteBackend;
  /** A human-readable name: the adapter for webgpu, the package for tensorflow, 'SIMD'/'no SIMD' for wasm. */
  device: string;
  adapter?: AdapterDescription;
  /** Why `auto` picked this backend, or that it was requested explicitly. */
  reason: string;
  /** Backends `auto` looked at and passed over, with why. */
  skipped: { backend: ConcreteBackend; why: string }[];
}
