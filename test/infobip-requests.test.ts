// Issue 13 item 10, against the strict simulator: the send asks for the part count
// (includeSmsCountInResponse, so Infobip answers details.messageCount) and MMS names the report
// content type (webhooks.contentType) like SMS.
import { expect, it } from 'vitest';
import { describeEachDialect } from './helpers/databases.js';
import { startSendingStack } from './helpers/sending.js';

describeEachDialect('what Tern sends to Infobip (issue 13 item 10)', ({ db }) => {
  it('SMS asks includeSmsCountInResponse; MMS sets webhooks.contentType', async () => {
    const s = await startSendingStack(db());
    try {
      await s.send({ to: '+41793026727', text: 'sms' });
      await s.send({
        channelConfigurationId: s.mmsChannelId,
        to: '+41793026728',
        text: 'mms',
        media: [{ url: 'https://cdn.example.com/a.jpg', contentType: 'image/jpeg' }],
      });
      await s.pump();
      const [sms] = s.sim.requests().filter((r) => r.path === '/sms/3/messages');
      const [mms] = s.sim.requests().filter((r) => r.path === '/mms/2/messages');
      expect(sms?.body).toMatchObject({ options: { includeSmsCountInResponse: true } });
      expect(mms?.body).toMatchObject({
        messages: [{ webhooks: { contentType: 'application/json' } }],
      });
    } finally {
      await s.close();
    }
  });
});
