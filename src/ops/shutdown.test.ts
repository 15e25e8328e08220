import { describe, expect, it } from 'vitest';
import { installShutdown } from './shutdown.js';

const run = async (steps: Parameters<typeof installShutdown>[0], timeoutMs = 1000) => {
  const codes: number[] = [];
  const lines: string[] = [];
  const shutdown = installShutdown(steps, {
    signals: [],
    timeoutMs,
    exit: (c) => codes.push(c),
    log: (l) => lines.push(l),
  });
  return { shutdown, codes, lines };
};

describe('graceful shutdown', () => {
  it('runs the steps in order, each after the previous one finished, then exits 0', async () => {
    const order: string[] = [];
    const step = (name: string, ms: number) => ({
      name,
      run: () => new Promise<void>((r) => setTimeout(() => (order.push(name), r()), ms)),
    });
    const { shutdown, codes } = await run([step('unready', 0), step('http', 20), step('worker', 5)]);
    await shutdown();
    expect(order).toEqual(['unready', 'http', 'worker']);
    expect(codes).toEqual([0]);
  });

  it('exits 1 when a step fails, when the steps outlast the timeout, and on a second signal', async () => {
    const failing = await run([{ name: 'store', run: () => Promise.reject(new Error('boom')) }]);
    await failing.shutdown();
    expect(failing.codes).toEqual([1]);
    expect(failing.lines).toEqual(['baton: shutdown failed: boom']);

    const slow = await run([{ name: 'worker', run: () => new Promise((r) => setTimeout(r, 200)) }], 30);
    const done = slow.shutdown();
    await new Promise((r) => setTimeout(r, 60));
    expect(slow.codes).toEqual([1]);
    void slow.shutdown();
    expect(slow.codes).toEqual([1, 1]);
    expect(slow.lines).toEqual([
      'baton: shutdown took over 30 ms, exiting',
      'baton: second signal, exiting now',
    ]);
    await done;
  });
});
