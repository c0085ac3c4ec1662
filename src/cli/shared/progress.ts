import cliProgress from 'cli-progress';
import type { ProgressEvent, ProgressFn } from '../../core/progress.js';
import type { CliIo } from '../command.js';

/**
 * Progress on stderr (stdout stays for results and --json): on a terminal, a cli-progress bar with the current
 * trial and step, percentage and ETA; elsewhere (CI logs, pipes), a plain line every ~10% with the same facts.
 * A 'trial' event (the budget search starting trial `done` of at most `total`) is not a bar: it labels the bars of
 * the steps that run inside that trial.
 */
export function stderrProgress(io: CliIo, isTty = Boolean(process.stderr.isTTY), tty: NodeJS.WritableStream = process.stderr): ProgressFn {
  let trial = '';
  let phase = '';
  let started = 0;
  let lastDecile = -1;
  let lastDone = 0;
  let bar: cliProgress.SingleBar | undefined;

  const stopBar = () => { bar?.stop(); bar = undefined; };
  const eta = (done: number, total: number): string => {
    if (done <= 0 || done >= total) return '';
    const seconds = ((Date.now() - started) / 1000 / done) * (total - done);
    return seconds < 90 ? `${Math.ceil(seconds)}s` : `${Math.round(seconds / 60)}min`;
  };

  return (e: ProgressEvent) => {
    if (e.phase === 'trial') {
      stopBar();
      trial = `trial ${e.done}/${e.total}${e.message ? ` (${e.message})` : ''}`;
      if (!isTty) io.stderr(`${trial}\n`);
      return;
    }
    const label = trial ? `${trial} · ${e.phase}` : e.phase;
    // A new phase, or the same one starting over (the next trial's evaluation): a new bar and a new ETA clock.
    if (e.phase !== phase || e.done < lastDone) {
      stopBar();
      phase = e.phase;
      started = Date.now();
      lastDecile = -1;
    }
    lastDone = e.done;
    const total = Math.max(e.total, 0);
    if (isTty) {
      if (!bar) {
        bar = new cliProgress.SingleBar({
          format: '{label} [{bar}] {percentage}% | ETA {eta_formatted} | {value}/{total} {message}',
          stream: tty, hideCursor: true, clearOnComplete: false, etaBuffer: 20,
        }, cliProgress.Presets.shades_classic);
        bar.start(total, e.done, { label, message: e.message ?? '' });
      } else {
        bar.setTotal(total);
        bar.update(e.done, { label, message: e.message ?? '' });
      }
      if (total > 0 && e.done >= total) { stopBar(); phase = ''; }
      return;
    }
    const pct = total > 0 ? Math.min(100, Math.round((100 * e.done) / total)) : 0;
    const decile = Math.floor(pct / 10);
    if (decile > lastDecile || (total > 0 && e.done >= total && lastDecile < 10)) {
      const left = eta(e.done, total);
      io.stderr(`${label} ${e.done}/${total} (${pct}%)${left ? ` ETA ${left}` : ''}${e.message ? ` ${e.message}` : ''}\n`);
      lastDecile = e.done >= total ? 10 : decile;
    }
  };
}
