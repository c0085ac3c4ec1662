import type { ProgressFn } from '../../core/progress.js';
import type { CliIo } from '../command.js';

/**
 * Progress on stderr: an updating line on a terminal, a line every ~10% otherwise (CI logs stay readable).
 */
export function stderrProgress(io: CliIo, isTty = Boolean(process.stderr.isTTY)): ProgressFn {
  let lastPhase = '';
  let lastDecile = -1;
  return ({ phase, done, total, message }) => {
    const pct = total > 0 ? Math.min(100, Math.round((100 * done) / total)) : 0;
    const text = `${phase} ${done}/${total} (${pct}%)${message ? ` ${message}` : ''}`;
    if (isTty) {
      io.stderr(`\r\x1b[K${text}${done >= total ? '\n' : ''}`);
      return;
    }
    const decile = Math.floor(pct / 10);
    if (phase !== lastPhase || decile !== lastDecile || done >= total) {
      if (phase !== lastPhase || decile > lastDecile) io.stderr(`${text}\n`);
      lastPhase = phase;
      lastDecile = decile;
    }
  };
}
