import { describe, expect, it } from 'vitest';
import { post, startReceiver, startSimulator } from './helpers.js';

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('close()', () => {
  it('stops scheduled reports, waiting retries and latency sleeps', async () => {
    const before = timers();
    const receiver = await startReceiver([500, 500, 500]);
    // Real-time retry schedule: the retry would wait two minutes.
    const { sim, url } = await startSimulator({ timeFactor: 1, reportDelayMs: 10 });
    await post(`${url}/sms/2/text/advanced`, {
      messages: [
        { destinations: [{ to: '1' }], text: 'x', notifyUrl: `${receiver.url}/d` },
        { destinations: [{ to: '2' }], text: 'x', validityPeriod: 2880 },
      ],
    });
    await post(`${url}/sms/2/text/advanced`, {
      messages: [
        {
          destinations: [{ to: '3' }],
          text: 'later',
          sendAt: new Date(Date.now() + 3_600_000).toISOString(),
        },
      ],
    });
    while (sim.reportPosts().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    sim.addFault({ kind: 'latency', latencyMs: 60_000 });
    const slow = fetch(`${url}/account/1/balance`).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(timers()).toBeGreaterThan(before);
    await sim.close();
    await slow;
    await receiver.close();
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
