// Graceful shutdown of a Baton process: on SIGTERM (or SIGINT) run the steps in order (stop taking work,
// finish what is in flight, drain HTTP, close the store), then exit 0. A second signal, or steps that
// outlast the timeout, exit 1 at once: whatever a worker still holds comes back when its lease expires.

export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown>;
}

export interface ShutdownOptions {
  /** Give up after this long (default 60 s; keep it below the orchestrator's kill grace period). */
  timeoutMs?: number;
  log?: (line: string) => void;
  exit?: (code: number) => void;
  /** Signals that start the shutdown (default SIGTERM and SIGINT). */
  signals?: NodeJS.Signals[];
}

/** Installs the SIGTERM/SIGINT handlers; returns the shutdown function (also callable directly). */
export function installShutdown(steps: ShutdownStep[], options: ShutdownOptions = {}): () => Promise<void> {
  const log = options.log ?? ((line: string) => console.error(line));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let started = false;
  const shutdown = async (): Promise<void> => {
    if (started) {
      log('baton: second signal, exiting now');
      exit(1);
      return;
    }
    started = true;
    const timeoutMs = options.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      log(`baton: shutdown took over ${timeoutMs} ms, exiting`);
      exit(1);
    }, timeoutMs);
    timer.unref();
    try {
      for (const step of steps) await step.run();
      clearTimeout(timer);
      exit(0);
    } catch (e) {
      clearTimeout(timer);
      log(`baton: shutdown failed: ${(e as Error).message}`);
      exit(1);
    }
  };
  const onSignal = (): void => void shutdown();
  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) process.on(signal, onSignal);
  return shutdown;
}
