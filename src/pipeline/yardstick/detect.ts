import { execFile } from 'node:child_process';

/** Where PyTorch was found (or why not). The yardstick is optional: "not available" is an answer, never an error. */
export type TorchProbe =
  | { available: true; python: string; torch: string; engines: string[] }
  | { available: false; reason: string };

export interface DetectTorchOptions {
  /** The interpreter to try; default SHRINKML_PYTHON, else /usr/bin/python3 (Debian's python3-torch), then python3. */
  python?: string;
  /** How long `import torch` may take; a cold import on a busy 2-core machine takes a few seconds. Default 30 s. */
  timeoutMs?: number;
}

const PROBE = 'import json, torch; print(json.dumps({"torch": torch.__version__, "engines": torch.backends.quantized.supported_engines}))';

/** The interpreters tried, in order. An explicit choice (option or SHRINKML_PYTHON) is the only one tried. */
export function pythonCandidates(python?: string): string[] {
  const chosen = python ?? process.env.SHRINKML_PYTHON;
  if (chosen) return [chosen];
  // pyenv and virtualenvs shadow python3 on PATH and rarely carry torch; the distribution's interpreter does.
  return ['/usr/bin/python3', 'python3'];
}

const cache = new Map<string, Promise<TorchProbe>>();

function probe(python: string, timeoutMs: number): Promise<TorchProbe> {
  return new Promise((resolve) => {
    execFile(python, ['-c', PROBE], { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        const e = error as NodeJS.ErrnoException & { killed?: boolean };
        const why = e.code === 'ENOENT' ? 'not found'
          : e.killed ? `import torch took over ${Math.round(timeoutMs / 1000)} s`
          : stderr.trim().split('\n').at(-1) || e.message.split('\n')[0]!;
        resolve({ available: false, reason: `${python}: ${why}` });
        return;
      }
      try {
        const info = JSON.parse(stdout.trim().split('\n').at(-1)!) as { torch: string; engines: string[] };
        resolve({ available: true, python, torch: info.torch, engines: info.engines });
      } catch {
        resolve({ available: false, reason: `${python}: unexpected answer to the torch probe` });
      }
    });
  });
}

/**
 * Finds a Python that imports torch. Each interpreter is probed once per process; the answer is cached because the
 * bench asks per model and `import torch` costs seconds.
 */
export async function detectTorch(o: DetectTorchOptions = {}): Promise<TorchProbe> {
  const tried: string[] = [];
  for (const python of pythonCandidates(o.python)) {
    let pending = cache.get(python);
    if (!pending) {
      pending = probe(python, o.timeoutMs ?? 30_000);
      cache.set(python, pending);
    }
    const found = await pending;
    if (found.available) return found;
    tried.push(found.reason);
  }
  return { available: false, reason: `python3-torch not installed (${tried.join('; ')})` };
}
