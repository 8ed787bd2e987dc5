/**
 * Going live: a credential's provider health (DNS failure, refused, TLS, auth, scope) and the
 * warnings that Infobip cannot reach Tern's webhook URLs, as badges, a panel and a banner
 * shown on every screen.
 */
import { useEffect } from 'react';
import type { CredentialHealth, CredentialSummary, CredentialWarning, Page } from './api';
import { Link } from './router';
import { useSession } from './session';
import { formatDate, useLoad } from './ui';

const PROBLEM_LABEL: Record<string, string> = {
  dns_failure: 'DNS failure',
  connection_refused: 'Connection refused',
  tls_error: 'TLS error',
  timeout: 'Timed out',
  address_refused: 'Address refused',
  connection_reset: 'Connection dropped',
  invalid_response: 'Not an Infobip answer',
  auth_failed: 'Auth failed',
  missing_scope: 'Missing scope',
  not_found: 'Wrong base URL',
  provider_error: 'Provider error',
};

/** "DNS failure", "Missing scope", …: the name the console gives a problem. */
export function problemLabel(problem: string | null): string {
  return problem ? (PROBLEM_LABEL[problem] ?? problem.replace(/_/g, ' ')) : 'Failing';
}

/** The health column of the credentials list. */
export function HealthBadge({ health }: { health: CredentialHealth }) {
  if (health.status === 'failing')
    return (
      <span className="badge badge-bad" title={health.message ?? undefined}>
        {problemLabel(health.problem)}
      </span>
    );
  if (health.status === 'ok') return <span className="badge badge-good">Working</span>;
  return <span className="badge">Not used yet</span>;
}

/** On the credential's page: what failed and since when, and what stops the webhooks. */
export function HealthPanel({
  health,
  warnings,
}: {
  health: CredentialHealth;
  warnings: CredentialWarning[];
}) {
  return (
    <div className="health-panel" data-testid="credential-health">
      {health.status === 'failing' ? (
        <div className="banner banner-error" role="alert">
          <span>
            <strong>{problemLabel(health.problem)}</strong> since {formatDate(health.since)}:{' '}
            {health.message}. Messages stay queued and are retried until their validity ends.
          </span>
        </div>
      ) : health.status === 'ok' ? (
        <p className="muted small">
          Provider calls are working (last at {formatDate(health.checkedAt)}).
        </p>
      ) : null}
      {warnings.map((w) => (
        <div className="banner banner-warn" role="alert" key={w.code}>
          <span>{w.message}</span>
        </div>
      ))}
    </div>
  );
}

/** How often the banner re-reads the credentials (health changes as the worker sends). */
const REFRESH_MS = 30_000;

/**
 * Above every screen: the webhook warnings of the sandbox's credentials (once each) and each
 * credential whose provider calls are failing, linking to it.
 */
export function GoingLiveBanner({ path }: { path: string }) {
  const { api } = useSession();
  const list = useLoad(
    () =>
      api
        .get<Page<CredentialSummary>>('/v1/credentials', { limit: 200 })
        .catch(() => ({ items: [], nextCursor: null })),
    [api, path],
  );
  const reload = list.reload;
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const items = list.data?.items ?? [];
  const warnings = new Map<string, CredentialWarning>();
  for (const c of items) for (const w of c.warnings ?? []) warnings.set(w.code, w);
  const failing = items.filter((c) => c.health?.status === 'failing');
  if (warnings.size === 0 && failing.length === 0) return null;
  return (
    <div className="going-live" data-testid="going-live-banner">
      {[...warnings.values()].map((w) => (
        <div className="banner banner-warn" role="alert" key={w.code}>
          <span>{w.message}</span>
        </div>
      ))}
      {failing.map((c) => (
        <div className="banner banner-error" role="alert" key={c.id}>
          <span>
            API credentials <Link to={`/credentials/${c.id}`}>{c.name}</Link>:{' '}
            <strong>{problemLabel(c.health.problem)}</strong> since {formatDate(c.health.since)} (
            {c.health.message}). Messages wait in the queue.
          </span>
        </div>
      ))}
    </div>
  );
}
