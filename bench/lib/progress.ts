/**
 * Progress on stderr while benchmarks run: which benchmark, which step, and one progress line
 * (redrawn in place on a terminal, printed every few seconds otherwise), so that stdout keeps
 * only the figures.
 */

const WIDTH = 24;

/** `[#####...........] 4,000 / 10,000 messages` */
function bar(done: number, total: number): string {
  const filled = total > 0 ? Math.min(WIDTH, Math.round((done / total) * WIDTH)) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}]`;
}

/** Formats a count the way the reports do: `10,000`. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A rate with sensible precision: `35,710`, `412`, `7.3`. */
export function rate(n: number): string {
  return n >= 100 ? count(n) : n.toFixed(1);
}

export class Progress {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  #index = 0;
  #planned: number | undefined;
  #lineOpen = false;
  #lastDraw = 0;

  constructor(out: NodeJS.WriteStream = process.stderr) {
    this.#out = out;
    this.#tty = out.isTTY;
  }

  /** How many benchmarks the run has, for the `[2/7]` counter. */
  plan(benchmarks: number): void {
    this.#planned = benchmarks;
    this.#index = 0;
  }

  /** A benchmark starts. */
  benchmark(name: string): void {
    this.#index++;
    const counter = this.#planned ? `[${this.#index}/${this.#planned}] ` : '';
    this.#line(`\n▶ ${counter}${name}`);
  }

  /** A step of the current benchmark starts. */
  step(text: string): void {
    this.#line(`  · ${text}`);
  }

  /** Progress towards a count: `done` of `total` `unit`. */
  count(done: number, total: number, unit: string): void {
    this.#draw(`    ${bar(done, total)} ${count(done)} / ${count(total)} ${unit}`, done >= total);
  }

  /** Progress of a timed run: `elapsed` of `seconds`, with a note (e.g. requests so far). */
  timed(elapsed: number, seconds: number, note: string): void {
    this.#draw(
      `    ${bar(elapsed, seconds)} ${Math.min(elapsed, seconds).toFixed(0)} / ${seconds} s  ${note}`,
      false,
    );
  }

  /** A finished step's figure, on a line of its own. */
  result(text: string): void {
    this.#line(`    → ${text}`);
  }

  #draw(text: string, final: boolean): void {
    const now = Date.now();
    if (!final && now - this.#lastDraw < (this.#tty ? 200 : 3000)) return;
    this.#lastDraw = now;
    if (this.#tty) {
      this.#out.write(`\r\x1b[2K${text}`);
      this.#lineOpen = true;
      if (final) this.#close();
    } else {
      this.#out.write(`${text}\n`);
    }
  }

  #close(): void {
    if (this.#lineOpen) this.#out.write('\n');
    this.#lineOpen = false;
  }

  #line(text: string): void {
    this.#close();
    this.#lastDraw = 0;
    this.#out.write(`${text}\n`);
  }
}

/** The one progress display of this process (the runner and the scripts it imports share it). */
export const progress = new Progress();
