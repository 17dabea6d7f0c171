import type { SingleBar } from 'cli-progress';
import path from 'node:path';
import type { Io } from './io';
import { say } from './io';

/**
 * A progress bar on a terminal (none elsewhere), and clean interruption: the first Ctrl-C asks
 * the command to stop after the work under way (through its AbortSignal), the second quits at
 * once, after printing what will finish the job.
 */
export class Run {
  readonly controller = new AbortController();
  private bar: SingleBar | undefined;
  private readonly started = Date.now();
  private interrupts = 0;
  private readonly unsubscribe?: () => void;

  constructor(
    private readonly io: Io,
    private readonly what: { unit: string; stopping: string; onQuit?: () => string | undefined },
  ) {
    this.unsubscribe = io.onInterrupt?.(() => this.interrupt());
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private interrupt(): void {
    this.interrupts++;
    if (this.interrupts === 1) {
      this.controller.abort();
      this.bar?.stop();
      this.bar = undefined;
      say(this.io, `\n${this.what.stopping} (Ctrl-C again to quit at once)…\n`);
      return;
    }
    this.bar?.stop();
    const hint = this.what.onQuit?.();
    say(this.io, `\nQuit at once.${hint ? ` ${hint}` : ''}\n`);
    this.io.exitNow?.(130);
  }

  /** A progress callback for the command, or undefined when there is no terminal to draw on. */
  onProgress<E extends { done: number; total?: number }>(): ((e: E) => void) | undefined {
    const stream = this.io.progress;
    if (!stream) return undefined;
    return (e: E) => {
      if (this.controller.signal.aborted) return;
      if (!this.bar) {
        // Loaded for a terminal only: a script's run (no terminal) draws no bar.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { SingleBar: Bar } = require('cli-progress') as typeof import('cli-progress');
        this.bar = new Bar({
          // Without a total (a command that reads its file once), a count and a rate.
          format: e.total === undefined ? `${this.what.unit} {value} | {rate}/s` : `${this.what.unit} {bar} {value}/{total} | {rate}/s | {eta_formatted} left`,
          barsize: 30,
          hideCursor: true,
          clearOnComplete: true,
          stream,
          etaBuffer: 200,
        });
        this.bar.start(e.total ?? 0, 0, { rate: '0' });
      }
      const secs = (Date.now() - this.started) / 1000;
      this.bar.update(e.done, { rate: secs > 0 ? (e.done / secs).toFixed(0) : '0' });
    };
  }

  end(): void {
    this.bar?.stop();
    this.bar = undefined;
    this.unsubscribe?.();
  }
}

/** A path as the user would type it: relative when under the current folder. */
export function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}
