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
  const exit = options.exit ?? endProcess;
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

/**
 * Ends the process with `code`. A clean stop lets Node exit on its own once every handle is closed, rather than
 * cutting it off with `process.exit()` from inside JavaScript: once, under heavy load, a worker that had finished
 * every step still died by a signal on that path (Node 20 has known crashes when a process is torn down from
 * JavaScript while helper threads, such as a module-loader thread, are alive). Whatever keeps the process up after
 * the steps finished — a straggling socket, a timer — gets two seconds before the process is ended anyway.
 */
function endProcess(code: number): void {
  process.exitCode = code;
  if (code !== 0) process.exit(code);
  setTimeout(() => process.exit(code), 2_000).unref();
}
