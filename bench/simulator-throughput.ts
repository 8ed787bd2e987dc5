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
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '8' },
    api: { type: 'string', default: 'v2' },
    reports: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const batch = Number(values.batch);
const concurrency = Number(values.concurrency);
const api = values.api === 'v3' ? 'v3' : 'v2';
const KEY = 'bench-key';

async function startSimulator(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'simulator/src/main.ts',
      '--port',
      '0',
      '--api-key',
      KEY,
      '--dlr-delay-ms',
      '200',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
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

function body(seq: number, notifyUrl: string | undefined): string {
  const destinations = Array.from({ length: batch }, (_, i) => ({
    to: `4179${String(seq * batch + i).padStart(7, '0')}`,
  }));
  if (api === 'v3') {
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

async function main(): Promise<void> {
  const sim = await startSimulator();
  const sink = values.reports ? await startSink() : undefined;
  const path = api === 'v3' ? '/sms/3/messages' : '/sms/2/text/advanced';
  const headers = { authorization: `App ${KEY}`, 'content-type': 'application/json' };
  let accepted = 0;
  let failed = 0;
  let seq = 0;
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  const worker = async () => {
    while (Date.now() < deadline) {
      const res = await fetch(sim.url + path, {
        method: 'POST',
        headers,
        body: body(seq++, sink?.url),
      });
      const json = (await res.json()) as { messages?: unknown[] };
      if (res.ok) accepted += json.messages?.length ?? 0;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (Date.now() - started) / 1000;
  const rate = Math.round(accepted / elapsed);
  if (sink) await new Promise((resolve) => setTimeout(resolve, 1500));
  console.log(
    `simulator ${api}: ${accepted} destinations accepted in ${elapsed.toFixed(2)} s ` +
      `(batch ${batch}, concurrency ${concurrency}, ${failed} failed requests) → ${rate} destinations/s` +
      (sink ? `; ${sink.reports()} reports received by the webhook sink` : ''),
  );
  await sim.stop();
  await sink?.stop();
}

await main();
