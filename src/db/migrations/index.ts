import type { Migration } from 'kysely';
import * as m0001 from './0001_admin_tokens.js';
import * as m0002 from './0002_configuration_plane.js';
import * as m0003 from './0003_messaging.js';
import * as m0004 from './0004_event_webhooks.js';
import * as m0005 from './0005_lookup_indexes.js';
import * as m0006 from './0006_inbound_dedup_per_credential.js';
import * as m0007 from './0007_unmatched_reports_index.js';
import * as m0008 from './0008_audit_names.js';
import * as m0009 from './0009_provider_message_id.js';
import * as m0010 from './0010_webhook_items.js';
import * as m0011 from './0011_dlt_per_channel_and_message.js';
import * as m0012 from './0012_uncertain_since.js';
import * as m0013 from './0013_provider_health.js';
import * as m0014 from './0014_message_stats.js';
import * as m0015 from './0015_retention_indexes.js';
import * as m0016 from './0016_queue_and_list_indexes.js';
import * as m0017 from './0017_inbound_reply_index.js';
import * as m0018 from './0018_templates.js';
import * as m0019 from './0019_audiences.js';
import * as m0020 from './0020_campaigns.js';
import * as m0021 from './0021_policy_rules.js';
import * as m0022 from './0022_message_holds.js';
import * as m0023 from './0023_messages_created_order.js';
import * as m0024 from './0024_flows.js';
import * as m0025 from './0025_keyword_responses.js';
import * as m0026 from './0026_people.js';
import * as m0027 from './0027_approvals.js';
import * as m0028 from './0028_audit_people.js';

/**
 * Every migration, in order. Listed in code (not read from a folder) so that the compiled CLI,
 * tests and both dialects run exactly the same set. Never edit a migration once landed: add one.
 */
export const migrations: Record<string, Migration> = {
  '0001_admin_tokens': m0001,
  '0002_configuration_plane': m0002,
  '0003_messaging': m0003,
  '0004_event_webhooks': m0004,
  '0005_lookup_indexes': m0005,
  '0006_inbound_dedup_per_credential': m0006,
  '0007_unmatched_reports_index': m0007,
  '0008_audit_names': m0008,
  '0009_provider_message_id': m0009,
  '0010_webhook_items': m0010,
  '0011_dlt_per_channel_and_message': m0011,
  '0012_uncertain_since': m0012,
  '0013_provider_health': m0013,
  '0014_message_stats': m0014,
  '0015_retention_indexes': m0015,
  '0016_queue_and_list_indexes': m0016,
  '0017_inbound_reply_index': m0017,
  '0018_templates': m0018,
  '0019_audiences': m0019,
  '0020_campaigns': m0020,
  '0021_policy_rules': m0021,
  '0022_message_holds': m0022,
  '0023_messages_created_order': m0023,
  '0024_flows': m0024,
  '0025_keyword_responses': m0025,
  '0026_people': m0026,
  '0027_approvals': m0027,
  '0028_audit_people': m0028,
};
