/**
 * What the signed-in caller may do in the current sandbox (`GET /v1/me`'s permissions), and
 * write controls drawn disabled with the reason when a permission is missing. The API enforces
 * every rule itself: this only spares a person a 403 and tells them which role they need.
 */
import {
  createContext,
  useContext,
  useId,
  useMemo,
  type ButtonHTMLAttributes,
  type ReactNode,
} from 'react';
import { rolesGranting, type Permission } from '../../src/auth/roles.js';
import { Link } from './router';
import { useSession } from './session';
import { useLoad } from './ui';

export type { Permission };

interface MeAccess {
  permissions: Permission[];
  roles: string[];
}

export interface Access {
  /** False only once `/v1/me` has answered without the permission. */
  can: (permission: Permission) => boolean;
  /** Why a control needing `permission` is off, or undefined when the caller has it. */
  reason: (permission: Permission) => string | undefined;
  /** The caller's roles in this sandbox (none for an admin token). */
  roles: string[];
}

/** "Needs the operator or owner role": the roles granting a permission, the owner last. */
export function needsText(permission: Permission): string {
  if (permission === 'instance')
    return 'Needs an instance administrator or an admin token valid in every sandbox';
  const roles = rolesGranting(permission).sort(
    (a, b) => Number(a === 'owner') - Number(b === 'owner'),
  );
  if (permission === 'read' || roles.length === 0) return 'Needs a role in this sandbox';
  return `Needs the ${roles.join(' or ')} role`;
}

const AccessContext = createContext<Access | null>(null);

/**
 * Loads the caller's permissions once per session and sandbox (the session provider is keyed by
 * both, so a sandbox switch mounts a new one). Until the answer comes, and when it fails, every
 * control stays on: the API still refuses what the caller may not do.
 */
export function AccessProvider({ children }: { children: ReactNode }) {
  const { api } = useSession();
  const me = useLoad(() => api.get<MeAccess>('/v1/me'), [api]);
  const value = useMemo<Access>(() => {
    const granted = me.data ? new Set(me.data.permissions) : null;
    const can = (permission: Permission) => granted === null || granted.has(permission);
    return {
      can,
      reason: (permission) => (can(permission) ? undefined : needsText(permission)),
      roles: me.data?.roles ?? [],
    };
  }, [me.data]);
  return <AccessContext.Provider value={value}>{children}</AccessContext.Provider>;
}

const EVERYTHING: Access = { can: () => true, reason: () => undefined, roles: [] };

/** The caller's access; outside a provider (a page rendered alone) everything is allowed. */
export function useAccess(): Access {
  return useContext(AccessContext) ?? EVERYTHING;
}

/** The visible reason under a disabled control, which the control names in aria-describedby. */
function NeedsHint({ id, reason }: { id: string; reason: string }) {
  return (
    <span className="needs-role" id={id}>
      {reason}
    </span>
  );
}

/**
 * A button that is disabled with its reason when `disabledReason` is set: the reason as a
 * title and, unless `compact` (a row's icon), as a visible hint beside it.
 */
export function Button({
  disabledReason,
  compact = false,
  disabled,
  type = 'button',
  children,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & {
  disabledReason?: string | undefined;
  compact?: boolean;
}) {
  const hintId = useId();
  if (!disabledReason) {
    return (
      <button type={type} disabled={disabled} {...rest}>
        {children}
      </button>
    );
  }
  const button = (
    <button
      type={type}
      {...rest}
      disabled
      title={disabledReason}
      aria-describedby={compact ? undefined : hintId}
      onClick={undefined}
    >
      {children}
    </button>
  );
  if (compact) return button;
  return (
    <span className="needs-wrap">
      {button}
      <NeedsHint id={hintId} reason={disabledReason} />
    </span>
  );
}

/** A link styled as a button (a "New …" action); disabled with its reason like `Button`. */
export function LinkButton({
  to,
  className,
  disabledReason,
  children,
}: {
  to: string;
  className?: string;
  disabledReason?: string | undefined;
  children: ReactNode;
}) {
  if (!disabledReason)
    return (
      <Link to={to} className={className}>
        {children}
      </Link>
    );
  return (
    <Button className={className} disabledReason={disabledReason}>
      {children}
    </Button>
  );
}
