/**
 * The loop behind the background workers (the send worker, the event-webhook dispatcher): run
 * a step, sleep as long as it asks, again until stopped. A step that throws (the database is
 * down, say) is reported and retried after `errorPauseMs`: the process never dies of it.
 */
export class PollLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  /** `step` returns how long to sleep before the next step (0: go again at once). */
  constructor(
    private readonly step: () => Promise<number>,
    private readonly onError: (error: unknown) => void,
    private readonly errorPauseMs: number,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the current step; resolves when it has returned. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  /** Cuts the current sleep short (new work arrived, a slot came free). */
  wake(): void {
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let sleepMs: number;
      try {
        sleepMs = await this.step();
      } catch (error) {
        this.onError(error);
        sleepMs = this.errorPauseMs;
      }
      if (sleepMs > 0 && this.running) await this.sleep(sleepMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
