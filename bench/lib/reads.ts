/**
 * Read latency of Tern's list, filter and search routes: one connection, the routes in turn,
 * each request sent a few milliseconds after the last answered, so that every figure is one
 * request's own time and the reads add little load to what they measure (the sender).
 */
import { Pool } from 'undici';
import { percentile } from './load.js';

/** A GET the scale benchmark times. */
export interface ReadRoute {
  name: string;
  path: string;
  /** The aim this route is judged by: list routes ≤ 20 ms, the statistics ≤ 50 ms (issue 14). */
  aimMs: number;
}

export interface ReadFigures {
  name: string;
  path: string;
  aimMs: number;
  requests: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  /** The first error's status and body, cut short. */
  firstError: string | null;
}

/** Gap between one answer and the next request: a few hundred reads a second at most. */
const GAP_MS = 2;
/** Rounds over the routes however long they take: a p99 of fewer samples is a max. */
const MIN_ROUNDS = 5;

/** Times every route in turn for `seconds`, through one keep-alive connection. */
export async function readLatencies(
  base: string,
  authorization: string,
  routes: readonly ReadRoute[],
  seconds: number,
  onProgress?: (elapsed: number) => void,
): Promise<ReadFigures[]> {
  const pool = new Pool(new URL(base).origin, { connections: 1 });
  const samples = routes.map(() => [] as number[]);
  const errors = routes.map(() => 0);
  const firstErrors = routes.map((): string | null => null);
  const started = performance.now();
  try {
    // Whole rounds only (every route as often as the others), and at least MIN_ROUNDS of them.
    for (
      let k = 0;
      k % routes.length !== 0 ||
      k < MIN_ROUNDS * routes.length ||
      performance.now() - started < seconds * 1000;
      k++
    ) {
      const r = k % routes.length;
      const route = routes[r];
      if (!route) continue;
      const t = performance.now();
      const res = await pool.request({
        method: 'GET',
        path: route.path,
        headers: { authorization },
      });
      if (res.statusCode === 200) {
        await res.body.dump();
        samples[r]?.push(performance.now() - t);
      } else {
        errors[r] = (errors[r] ?? 0) + 1;
        const text = await res.body.text();
        firstErrors[r] ??= `HTTP ${res.statusCode} ${text.slice(0, 200)}`;
      }
      onProgress?.((performance.now() - started) / 1000);
      await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    }
  } finally {
    await pool.close();
  }
  return routes.map((route, r) => {
    const sorted = (samples[r] ?? []).sort((a, b) => a - b);
    return {
      ...route,
      requests: sorted.length,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      max: sorted.at(-1) ?? NaN,
      errors: errors[r] ?? 0,
      firstError: firstErrors[r] ?? null,
    };
  });
}

/** One GET with the token: its status and parsed body. */
export async function getJson<T>(
  base: string,
  authorization: string,
  path: string,
): Promise<{ status: number; body: T }> {
  const pool = new Pool(new URL(base).origin, { connections: 1 });
  try {
    const res = await pool.request({ method: 'GET', path, headers: { authorization } });
    const text = await res.body.text();
    return { status: res.statusCode, body: (text ? JSON.parse(text) : null) as T };
  } finally {
    await pool.close();
  }
}
