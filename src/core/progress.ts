/**
 * Long work reports progress through this callback instead of printing: the library stays silent and the CLI
 * decides how to show it (stderr, a bar, nothing under --json).
 */
export interface ProgressEvent {
  /** What is running, e.g. 'train', 'calibrate', 'latency'. */
  phase: string;
  done: number;
  total: number;
  /** Free-form detail such as the current loss. */
  message?: string;
}

/** Receives progress events from long operations; shrinkml itself never prints. */
export type ProgressFn = (event: ProgressEvent) => void;

/** Warnings the library wants a person to see (a layer left float, a non-finite weight allowed, ...). */
export type WarnFn = (message: string) => void;

export const silent: ProgressFn = () => {};
