/**
 * People: who has which roles in this sandbox, changing and removing them, and inviting someone
 * (the invitation's link is shown once, to copy). The API enforces every rule (owners only; a
 * sandbox keeps an owner); controls are disabled with the role they need.
 */
import { useId, useState, type FormEvent } from 'react';
import { Button, useAccess } from '../access';
import { ApiError } from '../api';
import { ConfirmDialog } from '../confirm-dialog';
import { useSession } from '../session';
import {
  CopyButton,
  Dialog,
  Empty,
  ErrorBanner,
  Field,
  Loading,
  errorText,
  useAction,
  useLoad,
} from '../ui';

type Role = 'owner' | 'operator' | 'compliance' | 'viewer';

interface Member {
  id: string;
  email: string;
  name: string | null;
  roles: Role[];
  instanceAdmin: boolean;
  hasPassword: boolean;
  ssoLinked: boolean;
  disabled: boolean;
  createdAt: string;
}

/** One line per role, as the README's table says it. */
const ROLE_TEXT: [Role, string][] = [
  ['owner', 'Everything an operator does, plus credentials, channels, webhooks and people'],
  ['operator', 'Sends messages; runs campaigns and flows; edits templates and audiences'],
  ['compliance', 'Alone edits keywords and their replies, consent and send-time rules'],
  ['viewer', 'Sees everything in the sandbox; changes nothing'],
];

function RoleBoxes({ value, onChange }: { value: Role[]; onChange: (roles: Role[]) => void }) {
  const id = useId();
  return (
    <fieldset className="role-boxes">
      <legend>Roles</legend>
      {ROLE_TEXT.map(([role, text]) => (
        <div key={role} className="checkbox-row">
          <input
            type="checkbox"
            id={`${id}-${role}`}
            checked={value.includes(role)}
            onChange={(e) =>
              onChange(e.target.checked ? [...value, role] : value.filter((r) => r !== role))
            }
          />
          <label htmlFor={`${id}-${role}`}>
            <strong>{role}</strong> — <span className="muted">{text}</span>
          </label>
        </div>
      ))}
    </fieldset>
  );
}

function signInText(m: Member): string {
  const ways = [m.hasPassword ? 'password' : null, m.ssoLinked ? 'single sign-on' : null].filter(
    Boolean,
  );
  return ways.length > 0 ? ways.join(', ') : 'not signed in yet';
}

function RolesDialog({
  member,
  onClose,
  onSaved,
}: {
  member: Member;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { api, session } = useSession();
  const [roles, setRoles] = useState<Role[]>(member.roles);
  const self = session.user?.id === member.id;
  const { busy, error, run } = useAction(async () => {
    await api.put(`/v1/members/${encodeURIComponent(member.id)}`, { roles });
    onSaved();
  });
  return (
    <Dialog
      title={`Roles of ${member.name ?? member.email}`}
      onClose={onClose}
      actions={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy || roles.length === 0}
            aria-busy={busy}
            onClick={() => void run()}
          >
            Save
          </button>
        </>
      }
    >
      {self ? (
        <p className="muted">
          These are your own roles: you may step down, but another owner gives you a new one.
        </p>
      ) : null}
      <RoleBoxes value={roles} onChange={setRoles} />
      {roles.length === 0 ? <p className="hint">Choose at least one role.</p> : null}
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}

function InviteForm({ disabledReason }: { disabledReason: string | undefined }) {
  const { api } = useSession();
  const id = useId();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [roles, setRoles] = useState<Role[]>(['viewer']);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [emailError, setEmailError] = useState<string>();
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setEmailError(undefined);
    try {
      const created = await api.post<{ email: string; url: string }>('/v1/invitations', {
        email,
        ...(name ? { name } : {}),
        roles,
      });
      setLink({ email: created.email, url: created.url });
      setEmail('');
      setName('');
    } catch (err) {
      const field = err instanceof ApiError ? err.details.find((d) => d.path === '/email') : null;
      if (field) setEmailError(field.message);
      else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-label="Invite a person">
      <h2 className="h3">Invite a person</h2>
      {link ? (
        <div className="invite-link" role="status">
          <p>
            Send this link to {link.email}. It is shown only now: copy it before you leave the page.
          </p>
          <div className="webhook-url">
            <code>{link.url}</code>
            <CopyButton text={link.url} label="Copy the invitation link" />
          </div>
        </div>
      ) : null}
      <form onSubmit={(e) => void submit(e)}>
        <Field label="Email" id={`${id}-email`} error={emailError}>
          <input
            id={`${id}-email`}
            type="email"
            required
            maxLength={254}
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </Field>
        <Field label="Name (optional)" id={`${id}-name`}>
          <input
            id={`${id}-name`}
            maxLength={200}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </Field>
        <RoleBoxes value={roles} onChange={setRoles} />
        {error ? (
          <p className="field-error" role="alert">
            {error}
          </p>
        ) : null}
        <Button
          type="submit"
          className="btn btn-primary"
          disabled={busy || roles.length === 0}
          disabledReason={disabledReason}
        >
          Invite
        </Button>
      </form>
    </section>
  );
}

export function PeoplePage() {
  const { api, session } = useSession();
  const access = useAccess();
  const members = useLoad(() => api.get<{ items: Member[] }>('/v1/members'), [api]);
  const [editing, setEditing] = useState<Member | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const manage = access.reason('manage');

  return (
    <div className="page">
      <div className="page-header">
        <h1>People</h1>
        <p className="muted">Who may do what in sandbox {session.sandbox}.</p>
      </div>
      {members.error ? <ErrorBanner error={members.error} onRetry={members.reload} /> : null}
      {!members.data && !members.error ? <Loading what="Loading people" /> : null}
      {members.data && members.data.items.length === 0 ? (
        <Empty title="No people yet">Invite someone below.</Empty>
      ) : null}
      {members.data && members.data.items.length > 0 ? (
        <table className="table" aria-label="People">
          <thead>
            <tr>
              <th>Person</th>
              <th>Roles</th>
              <th>Signs in with</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {members.data.items.map((m) => (
              <tr key={m.id}>
                <td>
                  {m.name ? <div>{m.name}</div> : null}
                  <div className="muted">{m.email}</div>
                  {m.disabled ? <span className="badge">disabled</span> : null}
                </td>
                <td>
                  {m.roles.join(', ')}
                  {m.instanceAdmin ? <div className="muted">instance administrator</div> : null}
                </td>
                <td>{signInText(m)}</td>
                <td className="actions">
                  <Button
                    className="btn btn-small"
                    disabledReason={manage}
                    compact
                    onClick={() => setEditing(m)}
                  >
                    Change roles
                  </Button>{' '}
                  <Button
                    className="btn btn-small btn-danger"
                    disabledReason={manage}
                    compact
                    onClick={() => setRemoving(m)}
                  >
                    Remove
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {manage ? <p className="needs-role">{manage} to change or invite people.</p> : null}
      <InviteForm disabledReason={manage} />
      {editing ? (
        <RolesDialog
          member={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            members.reload();
          }}
        />
      ) : null}
      {removing ? (
        <ConfirmDialog
          title={`Remove ${removing.name ?? removing.email}?`}
          confirmLabel="Remove"
          danger
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await api.delete(`/v1/members/${encodeURIComponent(removing.id)}`);
            setRemoving(null);
            members.reload();
          }}
        >
          <p>
            They lose every role in sandbox {session.sandbox} at once. Their account stays: other
            sandboxes, and an invitation later.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
