/**
 * The audit log: who changed what, when and from where. The filters live in the URL query so a
 * resource's page can link to its own history (`auditPath`).
 */
import type { AuditEntry } from '../api';
import { useList, ListPage, type Column } from '../list';
import { navigate, useLocation } from '../router';
import { useSession } from '../session';
import { formatTime, useLoad } from '../ui';

/** The fields the audit log adds to an entry since it names people (0028). */
interface AuditRow extends AuditEntry {
  actorKind?: 'token' | 'user' | 'system' | 'cli' | null;
  actorAddress?: string | null;
  fields?: string[];
}

interface Member {
  id: string;
  email: string;
  name: string | null;
}

/** The kinds of resource the server audits; types seen on the page are added to these. */
const RESOURCE_TYPES = [
  'admin_token',
  'approval',
  'approval_settings',
  'campaign',
  'channel_configuration',
  'credential',
  'event_webhook',
  'flow',
  'flow_run',
  'invitation',
  'keyword_response',
  'list',
  'member',
  'policy_rule',
  'profile',
  'sandbox',
  'segment',
  'template',
  'user',
];

const FILTERS = ['actor', 'resourceType', 'resourceId', 'action'] as const;
type Filter = (typeof FILTERS)[number];

/** The audit page filtered to one resource: what its page links to. */
export function auditPath(resourceType: string, resourceId: string): string {
  return `/audit?${new URLSearchParams({ resourceType, resourceId }).toString()}`;
}

const KIND_LABEL: Record<string, string> = {
  token: 'token',
  user: 'user',
  system: 'system',
  cli: 'command line',
};

export function AuditPage() {
  const { api } = useSession();
  const { query } = useLocation();
  const filters = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? ''])) as Record<
    Filter,
    string
  >;
  const list = useList<AuditRow>('/v1/audit', filters, { limit: 50 });
  // People who can act here; a viewer may not list them, so tokens seen on the page still show.
  const members = useLoad(
    () => api.get<{ items: Member[] }>('/v1/members').catch(() => ({ items: [] as Member[] })),
    [api],
  );

  const setFilter = (name: Filter, value: string) => {
    const next = new URLSearchParams(location.search);
    if (value) next.set(name, value);
    else next.delete(name);
    const text = next.toString();
    navigate(`/audit${text ? `?${text}` : ''}`, { replace: true });
  };

  const people = new Map<string, string>();
  for (const m of members.data?.items ?? [])
    people.set(m.id, `${m.name ?? m.email} (user, ${m.email})`);
  for (const e of list.items) {
    if (e.actor && !people.has(e.actor))
      people.set(
        e.actor,
        `${e.actorName ?? e.actor} (${KIND_LABEL[e.actorKind ?? ''] ?? 'unknown'})`,
      );
  }
  if (filters.actor && !people.has(filters.actor)) people.set(filters.actor, filters.actor);
  const types = new Set(RESOURCE_TYPES);
  for (const e of list.items) if (e.resourceType) types.add(e.resourceType);
  if (filters.resourceType) types.add(filters.resourceType);
  const filtered = FILTERS.some((f) => filters[f]);

  const columns: Column<AuditRow>[] = [
    { header: 'When', cell: (e) => <time dateTime={e.at}>{formatTime(e.at)}</time> },
    {
      header: 'Who',
      cell: (e) => (
        <>
          {e.actorName ?? <code className="small">{e.actor ?? '—'}</code>}{' '}
          <span className="muted small">{KIND_LABEL[e.actorKind ?? ''] ?? ''}</span>
        </>
      ),
    },
    { header: 'From', cell: (e) => <code className="small">{e.actorAddress ?? '—'}</code> },
    {
      header: 'What',
      cell: (e) => (
        <>
          <strong>{e.action}</strong> {e.resourceType}{' '}
          {e.resourceName ? <>“{e.resourceName}” </> : null}
          <code className="small">{e.resourceId}</code>
          {e.sandbox === null ? <span className="muted small"> · all sandboxes</span> : null}
          {e.fields && e.fields.length > 0 ? (
            <div className="muted small">Fields: {e.fields.join(', ')}</div>
          ) : null}
        </>
      ),
    },
  ];

  return (
    <ListPage
      breadcrumb={['System']}
      title="Audit log"
      intro="Every change in this sandbox: who made it, from which address, and which fields changed."
      list={list}
      columns={columns}
      rowKey={(e) => e.id}
      emptyTitle={filtered ? 'No changes match these filters' : 'No changes recorded yet'}
      toolbar={
        <>
          <label>
            <span>Person</span>
            <select value={filters.actor} onChange={(e) => setFilter('actor', e.target.value)}>
              <option value="">Anyone</option>
              {[...people].map(([id, label]) => (
                <option key={id} value={id}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>Resource type</span>
            <select
              value={filters.resourceType}
              onChange={(e) => setFilter('resourceType', e.target.value)}
            >
              <option value="">Any</option>
              {[...types].sort().map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>Resource id</span>
            <input
              type="search"
              maxLength={100}
              value={filters.resourceId}
              onChange={(e) => setFilter('resourceId', e.target.value.trim())}
            />
          </label>
          <label>
            <span>Action</span>
            <input
              type="search"
              maxLength={64}
              placeholder="e.g. credential.updated"
              value={filters.action}
              onChange={(e) => setFilter('action', e.target.value.trim())}
            />
          </label>
          {filtered ? (
            <button type="button" className="btn btn-small" onClick={() => navigate('/audit')}>
              Clear filters
            </button>
          ) : null}
        </>
      }
    />
  );
}
