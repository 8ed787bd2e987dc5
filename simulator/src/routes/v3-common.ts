/** Request parts shared by `POST /sms/3/messages` and `POST /mms/2/messages`. */
import type { Engine } from '../engine.js';
import type { Checker, Json } from '../validation.js';
import { checkSpeedLimit, clipBulkId } from './send-common.js';

export interface V3Webhooks {
  reportUrl: string | undefined;
  notify: boolean;
  intermediateReport: boolean;
  callbackData: string | undefined;
}

/** `messages[].webhooks`; without a URL and unless `notify: false`, Subscriptions apply. */
export function parseWebhooks(c: Checker, engine: Engine, message: Json, path: string): V3Webhooks {
  const webhooks = c.object(message, 'webhooks', path);
  if (!webhooks) {
    return {
      reportUrl: engine.options.subscriptionReportUrl,
      notify: true,
      intermediateReport: false,
      callbackData: undefined,
    };
  }
  const at = `${path}.webhooks`;
  const delivery = c.object(webhooks, 'delivery', at);
  let url: string | undefined;
  let notify = true;
  let intermediateReport = false;
  if (delivery) {
    url = c.string(delivery, 'url', `${at}.delivery`, { max: 2048 });
    intermediateReport = c.boolean(delivery, 'intermediateReport', `${at}.delivery`) ?? false;
    notify = c.boolean(delivery, 'notify', `${at}.delivery`) ?? true;
  }
  c.string(webhooks, 'contentType', at);
  const callbackData = c.string(webhooks, 'callbackData', at, { max: 4000 });
  return {
    reportUrl: notify ? (url ?? engine.options.subscriptionReportUrl) : undefined,
    notify,
    intermediateReport,
    callbackData,
  };
}

export interface V3Platform {
  entityId: string | undefined;
  applicationId: string | undefined;
}

export function parsePlatform(c: Checker, options: Json | undefined, path: string): V3Platform {
  const platform = options ? c.object(options, 'platform', path) : undefined;
  if (!platform) return { entityId: undefined, applicationId: undefined };
  const at = `${path}.platform`;
  return {
    entityId: c.string(platform, 'entityId', at, { max: 255 }),
    applicationId: c.string(platform, 'applicationId', at, { max: 255 }),
  };
}

export interface V3RequestOptions {
  bulkId: string | undefined;
  sendAt: number | undefined;
  includeCount: boolean;
}

/** Top-level `options` (schedule, tracking, includeSmsCountInResponse, conversionTracking). */
export function parseRequestOptions(c: Checker, body: Json, now: number): V3RequestOptions {
  const options = c.object(body, 'options', '');
  if (!options) return { bulkId: undefined, sendAt: undefined, includeCount: false };
  const schedule = c.object(options, 'schedule', 'options');
  let bulkId: string | undefined;
  let sendAt: number | undefined;
  if (schedule) {
    bulkId = clipBulkId(c.string(schedule, 'bulkId', 'options.schedule'));
    sendAt = c.sendAt(schedule, 'sendAt', 'options.schedule', now);
    checkSpeedLimit(c, schedule, 'options.schedule');
  }
  const tracking = c.object(options, 'tracking', 'options');
  if (tracking) {
    for (const key of ['shortenUrl', 'trackClicks', 'removeProtocol']) {
      c.boolean(tracking, key, 'options.tracking');
    }
    c.string(tracking, 'trackingUrl', 'options.tracking');
    c.string(tracking, 'customDomain', 'options.tracking');
  }
  c.object(options, 'conversionTracking', 'options');
  const includeCount = c.boolean(options, 'includeSmsCountInResponse', 'options') ?? false;
  return { bulkId, sendAt, includeCount };
}
