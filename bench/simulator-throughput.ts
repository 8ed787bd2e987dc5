/**
 * Accepted destinations per second of the Infobip simulator on batched sends.
 *
 *   npx tsx bench/simulator-throughput.ts [--seconds 5] [--batch 1000] [--concurrency 8]
 *                                         [--api v2|v3] [--reports]
 *
 * The simulator runs as a child process (as in a real benchmark of Tern, and so that the load
 * generator does not share its event loop); this process fires batched requests over loopback
 * for a bounded time and prints destinations/second. With --reports every message names a
 * notifyUrl served by this process, so report batching and POSTs are part of the load.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { closedLoop } from './lib/load.js';
import { startSimulator } from '../test/helpers/processes.js';
import { count, progress } from './lib/progress.js';
import { isMain } from './lib/script.js';

const KEY = 'bench-key';

export interface SimulatorOptions {
  seconds: number;
  /** Destinations per request. */
  batch: number;
  /** Requests in flight. */
  concurrency: number;
  api: 'v2' | 'v3';
  /** Every message names a report webhook served by this process. */
  reports: boolean;
}

export interface SimulatorFigures extends SimulatorOptions {
  accepted: number;
  failedRequests: number;
  destinationsPerSecond: number;
  /** Reports the webhook sink received (with `reports`). */
  reportsReceived: number | null;
}

async function startSink(): Promise<{
  url: string;
  reports: () => number;
  stop: () => Promise<void>;
}> {
  let reports = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { results: unknown[] };
      reports += body.results.length;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/dlr`,
    reports: () => reports,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function body(options: SimulatorOptions, seq: number, notifyUrl: string | undefined): string {
  const { batch } = options;
  const destinations = Array.from({ length: batch }, (_, i) => ({
    to: `4179${String(seq * batch + i).padStart(7, '0')}`,
  }));
  if (options.api === 'v3') {
    return JSON.stringify({
      messages: [
        {
          sender: 'Bench',
          destinations,
          content: { text: 'Benchmark message' },
          webhooks: notifyUrl ? { delivery: { url: notifyUrl } } : undefined,
        },
      ],
    });
  }
  return JSON.stringify({
    messages: [{ from: 'Bench', destinations, text: 'Benchmark message', notifyUrl }],
  });
}

/** Fires batched sends at the simulator for `seconds`; reports every 200 ms with `reports`. */
export async function simulatorThroughput(options: SimulatorOptions): Promise<SimulatorFigures> {
  progress.benchmark(
    `Infobip simulator: accepted destinations/s (${options.api}${options.reports ? ', reports POSTed' : ''})`,
  );
  const sim = await startSimulator(KEY, ['--dlr-delay-ms', '200'], { defaultRules: true });
  const sink = options.reports ? await startSink() : undefined;
  try {
    const path = options.api === 'v3' ? '/sms/3/messages' : '/sms/2/text/advanced';
    const headers = { authorization: `App ${KEY}`, 'content-type': 'application/json' };
    let accepted = 0;
    let failed = 0;
    const started = performance.now();
    progress.step(
      `${options.batch} destinations a request, ${options.concurrency} in flight, ${options.seconds} s`,
    );
    const loop = await closedLoop({
      concurrency: options.concurrency,
      seconds: options.seconds,
      task: async (seq) => {
        const res = await fetch(sim.url + path, {
          method: 'POST',
          headers,
          body: body(options, seq, sink?.url),
        });
        const json = (await res.json()) as { messages?: unknown[] };
        if (res.ok) accepted += json.messages?.length ?? 0;
        else failed += 1;
      },
      onProgress: () =>
        progress.timed(
          (performance.now() - started) / 1000,
          options.seconds,
          `${count(accepted)} destinations`,
        ),
    });
    if (sink) await new Promise((resolve) => setTimeout(resolve, 1500));
    const figures: SimulatorFigures = {
      ...options,
      accepted,
      failedRequests: failed,
      destinationsPerSecond: accepted / loop.seconds,
      reportsReceived: sink ? sink.reports() : null,
    };
    progress.result(`${count(figures.destinationsPerSecond)} destinations/s`);
    return figures;
  } finally {
    await sim.stop();
    await sink?.stop();
  }
}

/** The figures as the line this script prints. */
export function simulatorLine(f: SimulatorFigures): string {
  return (
    `simulator ${f.api}: ${f.accepted} destinations accepted in ${(f.accepted / f.destinationsPerSecond).toFixed(2)} s ` +
    `(batch ${f.batch}, concurrency ${f.concurrency}, ${f.failedRequests} failed requests) → ${Math.round(f.destinationsPerSecond)} destinations/s` +
    (f.reportsReceived !== null
      ? `; ${f.reportsReceived} reports received by the webhook sink`
      : '')
  );
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      batch: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '8' },
      api: { type: 'string', default: 'v2' },
      reports: { type: 'boolean', default: false },
    },
  });
  const figures = await simulatorThroughput({
    seconds: Number(values.seconds),
    batch: Number(values.batch),
    concurrency: Number(values.concurrency),
    api: values.api === 'v3' ? 'v3' : 'v2',
    reports: values.reports,
  });
  console.log(simulatorLine(figures));
}
