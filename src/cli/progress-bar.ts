import { SingleBar, Presets } from 'cli-progress';

/** A progress bar on an interactive terminal; silent otherwise (jobs also log progress). */
export function terminalProgress(): { update: (done: number, total: number, label?: string) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  let bar: SingleBar | null = null;
  return {
    update(done, total, label) {
      if (!bar) {
        bar = new SingleBar({ format: ' {bar} {percentage}% | {value}/{total} {label}', stream: process.stderr }, Presets.shades_classic);
        bar.start(total, done, { label: label ?? '' });
      }
      bar.setTotal(total);
      bar.update(done, { label: label ?? '' });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
