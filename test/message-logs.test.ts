import { expect, it } from 'vitest';
import { describeEachDialect } from './helpers/databases.js';
import { eventually, startSendingStack } from './helpers/sending.js';

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  messageId?: string;
  messageIds?: string[];
  [field: string]: unknown;
}

const INFO = 30;
const DEBUG = 20;

describeEachDialect('structured logs', ({ db }) => {
  it('follow a message by its id through accept, the provider send and its delivery report', async () => {
    const s = await startSendingStack(db(), { env: { LOG_LEVEL: 'debug' } });
    try {
      const { id } = await s.send({ to: '+14155550100', text: 'hi' });
      const batch = await s.t.app.inject({
        method: 'POST',
        url: '/api/v1/messages/batch',
        headers: s.t.auth,
        payload: {
          messages: ['+14155550101', '+14155550102'].map((to) => ({
            channelConfigurationId: s.smsChannelId,
            to,
            text: 'hello',
          })),
        },
      });
      expect(batch.statusCode).toBe(202);
      const batchIds = batch
        .json<{ results: { message: { id: string } }[] }>()
        .results.map((r) => r.message.id);
      await s.pump();
      await s.sim.flushReports();
      for (const messageId of [id, ...batchIds]) {
        await eventually(async () =>
          expect((await s.message(messageId)).message.status).toBe('delivered'),
        );
      }

      const lines = s.t.logs.lines.map((l) => JSON.parse(l) as Line);
      const about = (messageId: string) =>
        lines.filter((l) => l.messageId === messageId || l.messageIds?.includes(messageId));
      const common = { credentialId: s.credentialId, sandbox: 'prod' };

      const single = about(id);
      expect(single.map((l) => [l.level, l.msg]).sort()).toEqual(
        [
          [INFO, 'message accepted'],
          [INFO, 'provider send'],
          [DEBUG, 'message settled'],
          [INFO, 'delivery reports applied'],
          [DEBUG, 'delivery report applied'],
        ].sort(),
      );
      const line = (msg: string) => single.find((l) => l.msg === msg);
      expect(single[0]?.msg).toBe('message accepted');
      expect(line('message accepted')).toMatchObject({
        ...common,
        messageId: id,
        status: 'queued',
        replayed: false,
        reqId: expect.any(String) as unknown,
      });
      expect(line('provider send')).toMatchObject({
        ...common,
        outcome: 'ok',
        httpStatus: 200,
        count: 3,
        messageIds: expect.arrayContaining([id, ...batchIds]) as unknown,
      });
      expect(line('message settled')).toMatchObject({
        ...common,
        messageId: id,
        status: 'accepted',
      });
      expect(line('delivery reports applied')).toMatchObject({
        ...common,
        applied: expect.any(Number) as unknown,
        reqId: expect.any(String) as unknown,
      });
      expect(line('delivery report applied')).toMatchObject({
        ...common,
        messageId: id,
        status: 'delivered',
      });

      // A batch is one info line with its ids, and a debug line per message.
      const accepted = lines.filter((l) => l.msg === 'messages accepted');
      expect(accepted).toEqual([
        expect.objectContaining({ level: INFO, sandbox: 'prod', count: 2, messageIds: batchIds }),
      ]);
      for (const messageId of batchIds) {
        expect(about(messageId).map((l) => [l.level, l.msg])).toContainEqual([
          DEBUG,
          'message accepted',
        ]);
        expect(about(messageId).find((l) => l.msg === 'delivery report applied')).toMatchObject({
          status: 'delivered',
        });
      }
    } finally {
      await s.close();
    }
  });

  it('keep per-message lines at debug: at info, a batch is a handful of lines', async () => {
    const s = await startSendingStack(db(), { env: { LOG_LEVEL: 'info' } });
    try {
      const messages = Array.from({ length: 50 }, (_, k) => ({
        channelConfigurationId: s.smsChannelId,
        to: `+1415555${String(1000 + k)}`,
        text: `m${k}`,
      }));
      const res = await s.t.app.inject({
        method: 'POST',
        url: '/api/v1/messages/batch',
        headers: s.t.auth,
        payload: { messages },
      });
      expect(res.statusCode).toBe(202);
      await s.pump();
      const lines = s.t.logs.lines.map((l) => JSON.parse(l) as Line);
      const naming = lines.filter((l) => l.messageId !== undefined || l.messageIds !== undefined);
      expect(naming.map((l) => l.msg).sort()).toEqual(['messages accepted', 'provider send']);
      expect(naming.every((l) => l.messageIds?.length === 50)).toBe(true);
    } finally {
      await s.close();
    }
  });
});
