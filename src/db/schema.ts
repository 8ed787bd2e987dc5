/**
 * The database as Kysely sees it. Conventions: plural snake_case tables; ids (UUIDv7 text) and
 * timestamps (ISO-8601 UTC text) are made in the app; JSON is stored as text; booleans as 0/1
 * integers — the same on SQLite and PostgreSQL, so one code path serves both.
 */
export interface Database {
  admin_tokens: AdminTokensTable;
  sandboxes: SandboxesTable;
  credentials: CredentialsTable;
  inbound_numbers: InboundNumbersTable;
  channel_configurations: ChannelConfigurationsTable;
  audit_events: AuditEventsTable;
  profiles: ProfilesTable;
  consent_events: ConsentEventsTable;
  double_opt_in_requests: DoubleOptInRequestsTable;
  messages: MessagesTable;
  policy_rules: PolicyRulesTable;
  message_events: MessageEventsTable;
  delivery_reports: DeliveryReportsTable;
  inbound_messages: InboundMessagesTable;
  webhook_rejects: WebhookRejectsTable;
  events: EventsTable;
  event_webhooks: EventWebhooksTable;
  event_webhook_deliveries: EventWebhookDeliveriesTable;
  templates: TemplatesTable;
  template_versions: TemplateVersionsTable;
  campaigns: CampaignsTable;
  campaign_recipients: CampaignRecipientsTable;
  segments: SegmentsTable;
  segment_members: SegmentMembersTable;
  segment_cursors: SegmentCursorsTable;
  lists: ListsTable;
  list_members: ListMembersTable;
  flows: FlowsTable;
  flow_versions: FlowVersionsTable;
  flow_runs: FlowRunsTable;
  flow_run_events: FlowRunEventsTable;
  flow_cursors: FlowCursorsTable;
  keyword_responses: KeywordResponsesTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  invitations: InvitationsTable;
  approval_settings: ApprovalSettingsTable;
  approval_requests: ApprovalRequestsTable;
}

/** Admin API tokens. Only a SHA-256 hash is stored; `sandbox` null means every sandbox. */
export interface AdminTokensTable {
  id: string;
  name: string;
  token_hash: string;
  sandbox: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface SandboxesTable {
  name: string;
  created_at: string;
  /** `not-unsubscribed` (null, the default) or `subscribed-only`, for marketing messages. */
  consent_policy: string | null;
}

/** API credentials. Secrets are AES-256-GCM ciphertexts; the rest of the settings are JSON. */
export interface CredentialsTable {
  sandbox: string;
  id: string;
  name: string;
  provider: string;
  base_url: string;
  api_key_encrypted: string;
  api_key_hint: string;
  webhook_secret_encrypted: string;
  /** JSON of the keyword lists, replies, DLT ids, validity, callback data, fuzzy opt-out. */
  settings: string;
  inbound_number: string | null;
  created_at: string;
  updated_at: string;
  version: number;
  provider_auth_failed_at: string | null;
  /** Null while the provider answers; else what failed (see credentials/credential-health.ts). */
  provider_health: string | null;
  provider_health_message: string | null;
  /** The first failure of the current run of failures. */
  provider_health_since: string | null;
  /** The last provider call recorded for this credential, failed or not. */
  provider_checked_at: string | null;
}

/** Global: an inbound number routes to exactly one credential, whatever its sandbox. */
export interface InboundNumbersTable {
  number: string;
  sandbox: string;
  credential_id: string;
}

export interface ChannelConfigurationsTable {
  sandbox: string;
  id: string;
  name: string;
  description: string | null;
  channel: string;
  message_type: string;
  credential_id: string;
  sender: string;
  marketing_footer: string | null;
  /** India DLT ids of this configuration's SMS (0011); null: the credential's. */
  dlt_content_template_id: string | null;
  dlt_telemarketer_id: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

/** Who changed what, when: field names only, never values of secrets. */
export interface AuditEventsTable {
  /** `''` for changes outside any sandbox (admin tokens, sandboxes); the API shows null. */
  sandbox: string;
  id: string;
  at: string;
  actor: string;
  action: string;
  resource_type: string;
  resource_id: string;
  /** JSON array of the names of the fields that changed. */
  fields: string;
  /** JSON object with non-secret context (e.g. a verify result), or null. */
  details: string | null;
  /** The changed resource's name when made (never a secret); null in entries before 0008. */
  resource_name: string | null;
  /** Who, as they were then (0028): `token`, `user`, `system`, `cli`; null in older entries. */
  actor_kind: string | null;
  actor_name: string | null;
  /** The request's address; null for the system, the command line and older entries. */
  actor_address: string | null;
}

/** A person, by E.164 phone number within a sandbox. `consent` is derived from the ledger. */
export interface ProfilesTable {
  sandbox: string;
  id: string;
  phone: string;
  consent: string;
  consent_updated_at: string | null;
  /** JSON object; custom inbound keywords land here. */
  attributes: string;
  created_at: string;
  updated_at: string;
  /** ISO 3166 region of the phone (0019), null for a non-geographic number. */
  region: string | null;
}

/** The consent ledger: append-only, the audit trail a regulator asks for. */
export interface ConsentEventsTable {
  sandbox: string;
  id: string;
  profile_id: string | null;
  phone_hash: string;
  from_state: string;
  to_state: string;
  source: string;
  inbound_message_id: string | null;
  actor: string | null;
  note: string | null;
  at: string;
}

/** A double opt-in waiting for its confirmation, for numbers with or without a profile. */
export interface DoubleOptInRequestsTable {
  sandbox: string;
  phone: string;
  credential_id: string | null;
  previous_state: string;
  requested_at: string;
  expires_at: string;
}

/** Outbound messages: the durable queue and the message log in one table. */
export interface MessagesTable {
  sandbox: string;
  id: string;
  channel_configuration_id: string | null;
  credential_id: string;
  channel: string;
  message_type: string;
  sender: string;
  to_number: string;
  text: string | null;
  /** JSON array of `{ url, contentType? }` for MMS. */
  media: string | null;
  callback_data: string | null;
  status: string;
  status_reason: string | null;
  attempts: number;
  /** When the worker may take it (queued or retrying); null once final. */
  next_attempt_at: string | null;
  valid_until: string;
  /** 1: a send may have reached the provider unanswered; check its logs before resending. */
  uncertain: number;
  /** When the message last became uncertain: its logs lookups are scheduled from here. */
  uncertain_since: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  provider_status: string | null;
  provider_error: string | null;
  /** The id the provider knows the message by (Infobip: Tern's id); null until it accepted it. */
  provider_message_id: string | null;
  /** The last error a provider call for this message met (kept after a later success). */
  last_provider_error: string | null;
  last_provider_error_at: string | null;
  segments: number;
  encoding: string;
  idempotency_key: string | null;
  request_hash: string | null;
  send_at: string | null;
  /** `api`, `batch`, `reply` (keyword auto-reply), `double_opt_in`, `campaign`, `flow`. */
  origin: string;
  inbound_message_id: string | null;
  /** India DLT ids chosen at accept (message, else channel configuration, 0011); null: the credential's. */
  dlt_content_template_id: string | null;
  dlt_telemarketer_id: string | null;
  created_at: string;
  updated_at: string;
  accepted_at: string | null;
  done_at: string | null;
  /** The campaign that queued it (migration 0020); null for every other message. */
  campaign_id: string | null;
  /** The send-time policy rule that held or dropped it (0022); null when none did. */
  policy_rule: string | null;
  /** Where the recipient's location came from for that decision (locate.ts `source`). */
  policy_source: string | null;
  /** A held message's window start (no jitter); null when it was never held. */
  held_until: string | null;
}

/** Status history of a message, with the raw provider report that caused a change. */
export interface MessageEventsTable {
  sandbox: string;
  id: string;
  message_id: string;
  at: string;
  status: string;
  reason: string | null;
  report: string | null;
}

export interface DeliveryReportsTable {
  id: string;
  dedup_key: string;
  sandbox: string;
  credential_id: string;
  message_id: string;
  matched: number;
  received_at: string;
  raw: string;
}

/** Inbound texts; `sandbox` and `credential_id` are null for a number no credential owns. */
export interface InboundMessagesTable {
  id: string;
  provider_message_id: string;
  sandbox: string | null;
  credential_id: string | null;
  from_number: string;
  to_number: string;
  text: string;
  category: string | null;
  action: string | null;
  received_at: string;
  raw: string;
  /** The credential whose webhook URL received it: replays are de-duplicated per this one. */
  webhook_credential_id: string;
  /** `sms` (MO_JSON_2) or `mms` (MO_MMS_2). */
  channel: string;
  /** JSON: an MMS's parts, `{contentType, text}` or `{contentType, url}`; `[]` for a text. */
  parts: string;
}

/** An item of a webhook POST that Tern could not use, kept raw with its problems (bounded). */
export interface WebhookRejectsTable {
  id: string;
  credential_id: string;
  sandbox: string;
  webhook: string;
  dedup_key: string;
  item_index: number;
  raw: string;
  /** JSON: `[{path, message}]`. */
  problems: string;
  received_at: string;
}

export interface EventsTable {
  sandbox: string;
  id: string;
  type: string;
  payload: string;
  at: string;
}

/** URLs that receive a sandbox's events; `cursor` is the id of the last event dealt with. */
export interface EventWebhooksTable {
  sandbox: string;
  id: string;
  url: string;
  /** JSON array of event types, or null for all. */
  types: string | null;
  description: string | null;
  enabled: number;
  /** AES-256-GCM ciphertext of the signing secret. */
  secret_encrypted: string;
  cursor: string;
  attempts: number;
  next_attempt_at: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  last_delivery_at: string | null;
  last_delivery_status: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

/** One delivery attempt of a batch of events to an event webhook. */
export interface EventWebhookDeliveriesTable {
  sandbox: string;
  id: string;
  webhook_id: string;
  at: string;
  attempt: number;
  outcome: string;
  http_status: number | null;
  error: string | null;
  duration_ms: number;
  event_count: number;
  first_event_id: string | null;
  last_event_id: string | null;
  next_attempt_at: string | null;
}

/** A campaign and its fan-out's progress (migration 0020). */
export interface CampaignsTable {
  sandbox: string;
  id: string;
  name: string;
  status: string;
  /** JSON: `{segmentId}` or `{listId}`. */
  audience: string;
  template_id: string;
  template_version: number;
  channel_configuration_id: string;
  send_at: string | null;
  pacing_unit: string;
  pacing_rate: number;
  /** JSON array of E.164 numbers. */
  seed_phones: string;
  /** JSON: `{optOutRate, failureRate, minSample}`. */
  auto_pause: string;
  status_reason: string | null;
  snapshot_cursor: string | null;
  snapshot_done: number;
  recipients: number;
  fanout_seq: number;
  queued: number;
  excluded: number;
  render_failed: number;
  pace_origin: string | null;
  pace_index: number;
  confirmed_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

/** A campaign's audience snapshot, one row per profile (migration 0020). */
export interface CampaignRecipientsTable {
  sandbox: string;
  campaign_id: string;
  seq: number;
  profile_id: string;
  phone: string;
  state: string;
  reason: string | null;
  message_id: string | null;
}

/** A message template: its name and current version (migration 0018). Soft-deleted. */
export interface TemplatesTable {
  sandbox: string;
  id: string;
  name: string;
  current_version: number;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
}

/** One immutable version of a template (migration 0018). */
export interface TemplateVersionsTable {
  sandbox: string;
  template_id: string;
  version: number;
  body: string;
  /** JSON array of `{url, contentType?}`, or null for none. */
  media: string | null;
  message_type: string;
  dlt_content_template_id: string | null;
  dlt_template_text: string | null;
  created_at: string;
  /** The admin token id that wrote it. */
  created_by: string;
}

/** A rule segment (0019); `rule` is the JSON of a SegmentRule, `live` 0/1. */
export interface SegmentsTable {
  sandbox: string;
  id: string;
  name: string;
  description: string | null;
  rule: string;
  live: number;
  created_at: string;
  updated_at: string;
  version: number;
}

/** The current members of live segments, kept by the live-segment loop. */
export interface SegmentMembersTable {
  sandbox: string;
  segment_id: string;
  profile_id: string;
  entered_at: string;
}

/** Per sandbox, the id of the last event the live-segment loop has read. */
export interface SegmentCursorsTable {
  sandbox: string;
  cursor: string;
}

/** A static list of profiles (0019). */
export interface ListsTable {
  sandbox: string;
  id: string;
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface ListMembersTable {
  sandbox: string;
  list_id: string;
  profile_id: string;
  added_at: string;
}

/** A sandbox's own send-time rules and its overrides of shipped ones (0021). */
export interface PolicyRulesTable {
  sandbox: string;
  id: string;
  /** The shipped rule id this row replaces in its sandbox; null for a rule of its own. */
  overrides: string | null;
  /** The rule as JSON (src/policy/rule.ts PolicyRule, without origin, enabled and version). */
  definition: string;
  enabled: number;
  version: number;
  created_at: string;
  updated_at: string;
}

/** A flow: its current definition (JSON, src/flows/definition.ts) and trigger lookup (0024). */
export interface FlowsTable {
  sandbox: string;
  id: string;
  name: string;
  /** draft | active | paused */
  status: string;
  version: number;
  definition: string;
  trigger_type: string;
  /** keyword: `credentialId:KEYWORD`; segment_entered: the segment id; api_event: the name. */
  trigger_key: string;
  created_at: string;
  updated_at: string;
}

/** Every definition a flow has had (0024). */
export interface FlowVersionsTable {
  sandbox: string;
  flow_id: string;
  version: number;
  definition: string;
  created_at: string;
  /** The admin token id that wrote it. */
  created_by: string | null;
}

/** One person's run through one flow version (0024). */
export interface FlowRunsTable {
  sandbox: string;
  id: string;
  flow_id: string;
  flow_version: number;
  phone: string;
  profile_id: string | null;
  credential_id: string | null;
  /** active | ended */
  status: string;
  /** JSON RunState. */
  state: string;
  due_at: string | null;
  /** JSON ReplyInfo stored by the inbound engine for the runner; null when none. */
  pending_reply: string | null;
  /** The phone while an active run of a one-run-per-person flow holds it; else null. */
  exclusive_key: string | null;
  lease_owner: string | null;
  lease_until: string | null;
  end_reason: string | null;
  sends: number;
  /** What started it, for the timeline ("texted OFFERS"). */
  trigger: string;
  version: number;
  started_at: string;
  updated_at: string;
  ended_at: string | null;
}

/** A run's timeline (0024). */
export interface FlowRunEventsTable {
  sandbox: string;
  id: string;
  run_id: string;
  at: string;
  step_id: string | null;
  kind: string;
  detail: string;
  message_id: string | null;
}

/** Per sandbox, the last event the flows' segment trigger has read (0024). */
export interface FlowCursorsTable {
  sandbox: string;
  cursor: string;
}

/** The reply and actions behind one custom keyword of a credential (0025). */
export interface KeywordResponsesTable {
  sandbox: string;
  credential_id: string;
  /** Normalised (credentials/keywords.ts normalizeKeyword). */
  keyword: string;
  template_id: string | null;
  /** JSON array of actions (automation/action.ts Action). */
  actions: string;
  version: number;
  created_at: string;
  updated_at: string;
}

/** A person who signs in to the console (0026). `email` is lower-cased. */
export interface UsersTable {
  id: string;
  email: string;
  name: string | null;
  /** `scrypt$…` (auth/passwords.ts), or null: no password set (invited, or OIDC only). */
  password_hash: string | null;
  oidc_issuer: string | null;
  oidc_subject: string | null;
  /** 1: owner in every sandbox, may create sandboxes (the first user, made by the CLI). */
  instance_admin: number;
  created_at: string;
  updated_at: string;
  disabled_at: string | null;
}

/** One role of one user in one sandbox (auth/roles.ts). */
export interface MembershipsTable {
  sandbox: string;
  user_id: string;
  role: string;
  created_at: string;
}

/** A console session: `id` is the SHA-256 of the cookie's value. */
export interface SessionsTable {
  id: string;
  user_id: string;
  /** How the user signed in: `password` or `oidc`. */
  via: string;
  address: string | null;
  user_agent: string | null;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

/** A one-time link that lets an invited user set a password; roles are a JSON array. */
export interface InvitationsTable {
  id: string;
  token_hash: string;
  user_id: string;
  sandbox: string;
  roles: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
}

/** A sandbox's approval settings (0027); no row: both off. */
export interface ApprovalSettingsTable {
  sandbox: string;
  /** A campaign whose audience is larger needs approval; null: off. */
  campaign_approval_above: number | null;
  /** 1: keyword, consent and send-time rule changes need a second person's approval. */
  compliance_approvals: number;
  updated_at: string;
}

/** A change waiting for (or decided by) a second person (0027). */
export interface ApprovalRequestsTable {
  sandbox: string;
  id: string;
  kind: string;
  /** The permission an approver needs (`send`, `compliance`). */
  permission: string;
  resource_type: string;
  resource_id: string;
  resource_name: string | null;
  /** The resource's version when requested (null: it did not exist). */
  resource_version: string | null;
  /** The requested change, JSON; never a secret. */
  change: string;
  requested_by: string;
  requested_by_kind: string;
  requested_by_name: string | null;
  requested_at: string;
  status: string;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_at: string | null;
  reason: string | null;
  /** JSON: what applying the change answered. */
  result: string | null;
}
