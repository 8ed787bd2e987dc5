/**
 * Load generation shared by the benchmarks: a closed loop (a fixed number of tasks in flight,
 * for a count or a time) and an open loop (tasks started at a fixed rate, latency measured from
 * when each was due), plus percentiles.
 */
import { Pool } from 'undici';

/** What a closed loop did: tasks completed (after the warm-up) and over how long. */
export interface LoopResult {
  completed: number;
  seconds: number;
  /** Completed tasks per second. */
  rate: number;
}

export interface ClosedLoopOptions {
  /** Tasks in flight at all times. */
  concurrency: number;
  /** Run this many tasks in all (numbered 0 … count-1)… */
  count?: number;
  /** …or keep going for this long after the warm-up. */
  seconds?: number;
  /** With `seconds`: run for this long first without counting (default 0). */
  warmUpSeconds?: number;
  /** One task; `i` counts up from 0 across all workers. A rejection stops the loop. */
  task: (i: number) => Promise<void>;
  /** Called after each counted task with the number completed so far. */
  onProgress?: (completed: number) => void;
}

/** Runs `task` with `concurrency` in flight, for `count` tasks or for `seconds`. */
export async function closedLoop(options: ClosedLoopOptions): Promise<LoopResult> {
  const { concurrency, count, seconds, task, onProgress } = options;
  if ((count === undefined) === (seconds === undefined))
    throw new Error('closedLoop takes either count or seconds');
  const warmUpMs = (options.warmUpSeconds ?? 0) * 1000;
  const started = performance.now();
  const warmUpEnd = started + warmUpMs;
  const end = seconds === undefined ? Infinity : warmUpEnd + seconds * 1000;
  let next = 0;
  let completed = 0;
  let countFrom: number | undefined = warmUpMs === 0 ? started : undefined;
  const more = () => (count === undefined ? performance.now() < end : next < count);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (more()) {
        await task(next++);
        const now = performance.now();
        if (countFrom === undefined && now >= warmUpEnd) countFrom = now;
        if (countFrom === undefined) continue;
        completed++;
        onProgress?.(completed);
      }
    }),
  );
  const elapsed = (performance.now() - (countFrom ?? started)) / 1000;
  return { completed, seconds: elapsed, rate: elapsed > 0 ? completed / elapsed : 0 };
}

/** Latencies of an open loop, in milliseconds. */
export interface LatencyResult {
  p50: number;
  p99: number;
  max: number;
  errors: number;
  sent: number;
}

/** The `q` quantile (0…1) of ascending `sorted` values; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/**
 * Open loop: starts `task` `rate` times a second for `seconds`, whether or not earlier ones have
 * finished, and measures each from when it was due (so a stall is not hidden by requests that
 * were never sent).
 */
export async function openLoop(options: {
  rate: number;
  seconds: number;
  task: () => Promise<void>;
  onProgress?: (sent: number, total: number) => void;
}): Promise<LatencyResult> {
  const { rate, seconds, task, onProgress } = options;
  const total = Math.round(seconds * rate);
  const intervalMs = 1000 / rate;
  const latencies: number[] = [];
  let errors = 0;
  const inflight: Promise<void>[] = [];
  const t0 = performance.now() + 50;
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    // Start every task that is due by now (a late timer fires several at once).
    while (sent < total && t0 + sent * intervalMs <= now) {
      const due = t0 + sent * intervalMs;
      sent++;
      inflight.push(
        task().then(
          () => void latencies.push(performance.now() - due),
          () => void errors++,
        ),
      );
    }
    onProgress?.(sent, total);
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies.at(-1) ?? NaN,
    errors,
    sent,
  };
}

async function send(pool: Pool, path: string, body: string) {
  return pool.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body,
  });
}

/** POSTs a JSON body through `pool` and discards the answer; throws on anything but 200. */
export async function post(pool: Pool, path: string, body: string): Promise<void> {
  const res = await send(pool, path, body);
  if (res.statusCode === 200) return void (await res.body.dump());
  throw new Error(`POST ${path}: HTTP ${res.statusCode} ${(await res.body.text()).slice(0, 300)}`);
}

/** POSTs a JSON body through `pool` and parses the answer; throws on anything but 200. */
export async function postJson<T>(pool: Pool, path: string, body: string): Promise<T> {
  const res = await send(pool, path, body);
  const text = await res.body.text();
  if (res.statusCode !== 200)
    throw new Error(`POST ${path}: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** A keep-alive connection pool to `url`'s origin with `connections` sockets. */
export function poolFor(url: string, connections: number): Pool {
  return new Pool(new URL(url).origin, { connections, pipelining: 1 });
}

/** What a timed POST load did: requests answered 2xx, their rate and latency. */
export interface PostLoadResult {
  accepted: number;
  seconds: number;
  /** Accepted requests per second. */
  acceptedPerSecond: number;
  p50: number;
  p99: number;
  /** Answers other than 2xx (the load goes on; they are not counted as accepted). */
  errors: number;
}

/**
 * The one client of the single-message comparisons (Tern and every reference): `connections`
 * keep-alive sockets, each POSTing the JSON body of request `i` as soon as the last answered,
 * for `seconds`; latency is each request's own round trip.
 */
export async function postLoad(options: {
  url: string;
  path: string;
  connections: number;
  seconds: number;
  body: (i: number) => string;
  headers?: Record<string, string>;
  onProgress?: (elapsedSeconds: number, accepted: number) => void;
}): Promise<PostLoadResult> {
  const { url, path, connections, seconds, body, onProgress } = options;
  const pool = poolFor(url, connections);
  const headers = { 'content-type': 'application/json', ...options.headers };
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  try {
    const loop = await closedLoop({
      concurrency: connections,
      seconds,
      task: async (i) => {
        const t = performance.now();
        const res = await pool.request({ method: 'POST', path, headers, body: body(i) });
        if (res.statusCode >= 200 && res.statusCode < 300) {
          await res.body.dump();
          latencies.push(performance.now() - t);
        } else {
          errors++;
          const text = await res.body.text();
          firstError ??= `HTTP ${res.statusCode} ${text.slice(0, 200)}`;
        }
      },
      onProgress: (n) => onProgress?.((performance.now() - started) / 1000, n),
    });
    if (errors > 0 && latencies.length === 0) throw new Error(`POST ${path}: ${firstError}`);
    latencies.sort((a, b) => a - b);
    return {
      accepted: latencies.length,
      seconds: loop.seconds,
      acceptedPerSecond: latencies.length / loop.seconds,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      errors,
    };
  } finally {
    await pool.close();
  }
}
