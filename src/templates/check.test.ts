import { describe, expect, it } from 'vitest';
import type { ChannelConfiguration } from '../channels/channel.js';
import { checkRendered, hasOptOutInstruction } from './check.js';

const sms: ChannelConfiguration = {
  id: 'chn_1',
  sandbox: 'default',
  name: 'promo',
  description: null,
  channel: 'sms',
  messageType: 'marketing',
  credentialId: 'crd_1',
  sender: 'ACME',
  marketingFooter: 'Reply STOP to opt out',
  dltContentTemplateId: null,
  dltTelemarketerId: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
};
const marketing = { messageType: 'marketing' as const, media: [], dltTemplateText: null };
const transactional = { ...marketing, messageType: 'transactional' as const };

describe('checkRendered', () => {
  it('adds the footer as the send path does and counts parts', () => {
    expect(checkRendered('Sale today', marketing, sms)).toEqual({
      ok: true,
      text: 'Sale today\nReply STOP to opt out',
      characters: 32,
      segments: 1,
      encoding: 'GSM-7',
    });
  });

  it('turns UCS-2 on one curly quote', () => {
    const r = checkRendered('It’s on', transactional, null);
    expect(r).toMatchObject({ ok: true, encoding: 'UCS-2' });
  });

  it('refuses more than 10 parts', () => {
    const r = checkRendered('x'.repeat(1531), transactional, null);
    expect(r).toMatchObject({ ok: false, segments: 11 });
  });

  it('needs an opt-out instruction on marketing', () => {
    expect(checkRendered('Sale today', marketing, null).ok).toBe(false);
    expect(checkRendered('Sale today. Txt stop to end', marketing, null).ok).toBe(true);
    expect(checkRendered('Sale today', marketing, { ...sms, marketingFooter: 'Bye' }).ok).toBe(
      false,
    );
    expect(checkRendered('Sale today', transactional, null).ok).toBe(true);
  });

  it('checks the DLT fit', () => {
    const t = { ...transactional, dltTemplateText: 'Your OTP is {#var#}. Do not share.' };
    expect(checkRendered('Your OTP is 123456. Do not share.', t, null).ok).toBe(true);
    expect(checkRendered('Your OTP is 123456. Share it.', t, null).ok).toBe(false);
  });

  it('accepts the usual opt-out wordings', () => {
    for (const text of [
      'Reply STOP to opt out',
      'reply stop',
      'Text QUIT to quit',
      'STOP to unsubscribe',
      'Reply “STOP” to end',
    ])
      expect(hasOptOutInstruction(text), text).toBe(true);
    for (const text of ['Stop by our store', 'Reply YES', 'unstoppable deals'])
      expect(hasOptOutInstruction(text), text).toBe(false);
  });
});
