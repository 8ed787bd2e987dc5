/** The console shell: sign-in, the left rail, the sandbox switcher and the screens. */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { AccessProvider } from './access';
import { whoAmI, type Sandbox, type Session } from './api';
import type { StreamState } from './events';
import { GoingLiveBanner } from './health';
import { ChannelForm, ChannelsPage } from './pages/Channels';
import { CredentialForm } from './pages/CredentialForm';
import { CredentialsPage } from './pages/Credentials';
import { DashboardPage } from './pages/Dashboard';
import { InboundPage } from './pages/Inbound';
import { MessageDetailPage, MessagesPage } from './pages/Messages';
import { PolicyPage } from './pages/policy/Policy';
import { ProfileDetailPage, ProfilesPage } from './pages/Profiles';
import { PeoplePage } from './pages/People';
import { ApprovalsPage } from './pages/approvals/Approvals';
import { AuditPage } from './pages/Audit';
import { SettingsPage } from './pages/Settings';
import { ListDetailPage } from './pages/audiences/ListDetail';
import { ListsPage } from './pages/audiences/Lists';
import { SegmentEditor } from './pages/audiences/SegmentEditor';
import { SegmentsPage } from './pages/audiences/Segments';
import { CampaignProgressPage } from './pages/campaigns/CampaignProgress';
import { CampaignsPage } from './pages/campaigns/Campaigns';
import { CampaignWizard } from './pages/campaigns/CampaignWizard';
import { FlowEditor } from './pages/flows/FlowEditor';
import { FlowRunPage, FlowRunsPage } from './pages/flows/FlowRuns';
import { FlowsPage } from './pages/flows/Flows';
import { TemplateEditor } from './pages/templates/TemplateEditor';
import { TemplatesPage } from './pages/templates/Templates';
import { Link, match, navigate, useLocation } from './router';
import { useSandboxesChanged } from './sandbox-list';
import { homeSandbox, resumeSession } from './auth';
import {
  loadCookieSandbox,
  loadSession,
  saveSession,
  SessionProvider,
  useSession,
} from './session';
import { AcceptInvitation, cookieSession, SignIn, type SignInMode } from './sign-in';
import { Dialog, useLoad } from './ui';

/** A token handed over in the URL fragment (`tern demo` prints one): taken, then erased. */
function sessionFromFragment(): Session | null {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (!token) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return { token, sandbox: params.get('sandbox') ?? 'prod' };
}

/**
 * The session to start with, and a link's session that needs the user's yes first: a link
 * never silently replaces a signed-in session with another token (login CSRF).
 */
function initialSessions(): { session: Session | null; offered: Session | null } {
  const offered = sessionFromFragment();
  const current = loadSession();
  if (!offered) return { session: current, offered: null };
  if (!current || current.token === offered.token) return { session: offered, offered: null };
  return { session: current, offered };
}

export function App() {
  const [initial] = useState(initialSessions);
  const [session, setSession] = useState<Session | null>(initial.session);
  const [offered, setOffered] = useState<Session | null>(initial.offered);
  const { path, query } = useLocation();
  // Without a token in this tab the browser may still hold a session cookie (a reload, single
  // sign-on's return): asked once before the sign-in screen shows.
  const [resuming, setResuming] = useState(initial.session === null);
  const [mode, setMode] = useState<SignInMode>('password');
  const current = useRef(session);
  const change = useCallback((next: Session | null) => {
    // Signing out of a token offers the token form again (and a person the password form).
    if (!next && current.current) setMode(current.current.token === null ? 'password' : 'token');
    current.current = next;
    saveSession(next);
    setSession(next);
  }, []);
  useEffect(() => saveSession(session), [session]);
  useEffect(() => {
    if (!resuming) return;
    resumeSession()
      .then(async (answer) => {
        if (!answer) return;
        const sandbox = await homeSandbox(loadCookieSandbox() ?? 'prod');
        if (!current.current) change(cookieSession(answer, sandbox));
      })
      .catch(() => undefined)
      .finally(() => setResuming(false));
  }, [resuming, change]);
  const inviteToken = path === '/accept-invitation' ? query.get('token') : null;
  if (inviteToken)
    return (
      <AcceptInvitation
        token={inviteToken}
        onSignIn={(next) => {
          change(next);
          navigate('/', { replace: true });
        }}
      />
    );
  if (!session && resuming)
    return (
      <main className="signin">
        <p className="muted">Loading…</p>
      </main>
    );
  if (!session) return <SignIn onSignIn={change} initialMode={mode} />;
  return (
    <>
      <SessionProvider
        key={`${session.token ?? session.user?.id ?? ''}/${session.sandbox}`}
        session={session}
        onChange={change}
      >
        <AccessProvider>
          <Shell />
        </AccessProvider>
      </SessionProvider>
      {offered ? (
        <SwitchSessionDialog
          current={session}
          offered={offered}
          onKeep={() => setOffered(null)}
          onSwitch={() => {
            setOffered(null);
            change(offered);
          }}
        />
      ) : null}
    </>
  );
}

/** A token's name as the API tells it; null when the token does not work. */
function useTokenName(session: Session): string | null {
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    whoAmI(session)
      .then((me) => live && setName(me.token?.name ?? me.user?.name ?? null))
      .catch(() => live && setName(null));
    return () => {
      live = false;
    };
  }, [session]);
  return name;
}

/** Asks before a `#token=` link replaces the session; keeping the current one comes first. */
function SwitchSessionDialog({
  current,
  offered,
  onKeep,
  onSwitch,
}: {
  current: Session;
  offered: Session;
  onKeep: () => void;
  onSwitch: () => void;
}) {
  const currentName = useTokenName(current);
  const offeredName = useTokenName(offered);
  return (
    <Dialog
      title="Switch admin token?"
      onClose={onKeep}
      actions={
        <>
          <button type="button" className="btn btn-primary" onClick={onKeep}>
            Keep {currentName ? `“${currentName}”` : 'the current token'}
          </button>
          <button type="button" className="btn" onClick={onSwitch}>
            Switch to {offeredName ? `“${offeredName}”` : 'the other token'}
          </button>
        </>
      }
    >
      <p>
        The link you opened signs in with{' '}
        {offeredName ? (
          <>
            the admin token <strong>{offeredName}</strong>
          </>
        ) : (
          'another admin token'
        )}
        . You are signed in with{' '}
        {currentName ? <strong>{currentName}</strong> : 'a different admin token'}. Switch only if
        you expected this link.
      </p>
    </Dialog>
  );
}

interface NavItem {
  to: string;
  label: string;
}

const NAV: { heading: string; sub?: string; items: NavItem[] }[] = [
  { heading: 'Overview', items: [{ to: '/', label: 'Dashboard' }] },
  {
    heading: 'Administration',
    sub: 'Channels',
    items: [
      { to: '/credentials', label: 'API credentials' },
      { to: '/channels', label: 'Channel configurations' },
    ],
  },
  {
    heading: 'Audience',
    items: [
      { to: '/profiles', label: 'Profiles' },
      { to: '/segments', label: 'Segments' },
      { to: '/lists', label: 'Lists' },
    ],
  },
  {
    heading: 'Messaging',
    items: [
      { to: '/templates', label: 'Templates' },
      { to: '/campaigns', label: 'Campaigns' },
    ],
  },
  { heading: 'Automation', items: [{ to: '/flows', label: 'Flows' }] },
  { heading: 'Compliance', items: [{ to: '/policy', label: 'Send-time policy' }] },
  {
    heading: 'Traffic',
    items: [
      { to: '/messages', label: 'Messages' },
      { to: '/inbound', label: 'Inbound' },
    ],
  },
  {
    heading: 'System',
    items: [
      { to: '/people', label: 'People' },
      { to: '/approvals', label: 'Approvals' },
      { to: '/audit', label: 'Audit log' },
      { to: '/settings', label: 'Settings' },
    ],
  },
];

function isActive(to: string, path: string): boolean {
  return to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`);
}

function Shell() {
  const { path } = useLocation();
  const { session, api, events, setSandbox, signOut } = useSession();
  const sandboxes = useLoad(
    () => api.get<{ items: Sandbox[] }>('/v1/sandboxes').catch(() => ({ items: [] })),
    [api],
  );
  useSandboxesChanged(sandboxes.reload);
  const [stream, setStream] = useState<StreamState>('connecting');
  useEffect(() => events.onState(setStream), [events]);
  const names = sandboxes.data?.items.map((s) => s.name) ?? [];
  if (!names.includes(session.sandbox)) names.unshift(session.sandbox);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" /> Tern
        </div>
        <div className="topbar-right">
          <span className={`stream stream-${stream}`} title="Live updates from the event stream">
            <span className="dot" aria-hidden="true" />
            {stream === 'live' ? 'Live' : stream === 'connecting' ? 'Connecting' : 'Offline'}
          </span>
          <label className="sandbox-switch">
            <span>Sandbox</span>
            <select
              value={session.sandbox}
              onChange={(e) => {
                setSandbox(e.target.value);
                navigate('/');
              }}
            >
              {names.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="btn btn-ghost" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <nav className="rail" aria-label="Main">
        {NAV.map((group) => (
          <div className="rail-group" key={group.heading}>
            <div className="rail-heading">{group.heading}</div>
            {group.sub ? <div className="rail-sub">{group.sub}</div> : null}
            <ul>
              {group.items.map((item) => (
                <li key={item.to}>
                  <Link
                    to={item.to}
                    className={isActive(item.to, path) ? 'active' : undefined}
                    aria-current={isActive(item.to, path) ? 'page' : undefined}
                  >
                    {item.label}
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <main className="content" id="main" tabIndex={-1}>
        <GoingLiveBanner path={path} />
        <Screen path={path} />
      </main>
    </div>
  );
}

function Screen({ path }: { path: string }): ReactNode {
  let params: Record<string, string> | null;
  if (path === '/') return <DashboardPage />;
  if (path === '/credentials') return <CredentialsPage />;
  if (path === '/credentials/new') return <CredentialForm />;
  if ((params = match('/credentials/:id', path)))
    return <CredentialForm key={params.id} id={params.id} />;
  if (path === '/channels') return <ChannelsPage />;
  if (path === '/channels/new') return <ChannelForm />;
  if ((params = match('/channels/:id', path)))
    return <ChannelForm key={params.id} id={params.id} />;
  if (path === '/profiles') return <ProfilesPage />;
  if ((params = match('/profiles/:phone', path)))
    return <ProfileDetailPage key={params.phone} phone={params.phone ?? ''} />;
  if (path === '/segments') return <SegmentsPage />;
  if (path === '/segments/new') return <SegmentEditor />;
  if ((params = match('/segments/:id', path)))
    return <SegmentEditor key={params.id} id={params.id} />;
  if (path === '/lists') return <ListsPage />;
  if ((params = match('/lists/:id', path)))
    return <ListDetailPage key={params.id} id={params.id ?? ''} />;
  if (path === '/templates') return <TemplatesPage />;
  if (path === '/templates/new') return <TemplateEditor />;
  if ((params = match('/templates/:id', path)))
    return <TemplateEditor key={params.id} id={params.id} />;
  if (path === '/campaigns') return <CampaignsPage />;
  if (path === '/campaigns/new') return <CampaignWizard />;
  if ((params = match('/campaigns/:id/edit', path)))
    return <CampaignWizard key={params.id} id={params.id} />;
  if ((params = match('/campaigns/:id', path)))
    return <CampaignProgressPage key={params.id} id={params.id ?? ''} />;
  if (path === '/flows') return <FlowsPage />;
  if (path === '/flows/new') return <FlowEditor />;
  if ((params = match('/flows/:id/runs', path)))
    return <FlowRunsPage key={params.id} flowId={params.id ?? ''} />;
  if ((params = match('/flows/:id', path))) return <FlowEditor key={params.id} id={params.id} />;
  if ((params = match('/flow-runs/:id', path)))
    return <FlowRunPage key={params.id} id={params.id ?? ''} />;
  if (path === '/policy') return <PolicyPage />;
  if (path === '/messages') return <MessagesPage />;
  if ((params = match('/messages/:id', path)))
    return <MessageDetailPage key={params.id} id={params.id ?? ''} />;
  if (path === '/inbound') return <InboundPage />;
  if (path === '/people') return <PeoplePage />;
  if (path === '/approvals') return <ApprovalsPage />;
  if (path === '/audit') return <AuditPage />;
  if (path === '/settings') return <SettingsPage />;
  return (
    <div className="page">
      <h1>Not found</h1>
      <p>
        There is no screen at <code>{path}</code>. <Link to="/">Back to the dashboard</Link>.
      </p>
    </div>
  );
}
