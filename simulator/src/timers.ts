/**
 * Every timer the simulator arms goes through here so that `close()` can cancel all of them;
 * tests fail when a timer outlives the simulator.
 */
export class TimerRegistry {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Set<() => void>();
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs `fn` after `ms`; returns a cancel function. Does nothing once closed. */
  after(ms: number, fn: () => void): () => void {
    if (this.closed) return () => undefined;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        fn();
      },
      Math.max(0, ms),
    );
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  /** A promise that resolves after `ms`, or at once when the registry closes. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) {
        resolve();
        return;
      }
      const wake = (): void => {
        this.sleepers.delete(wake);
        cancel();
        resolve();
      };
      const cancel = this.after(ms, wake);
      this.sleepers.add(wake);
    });
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const wake of [...this.sleepers]) wake();
  }
}
