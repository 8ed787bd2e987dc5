import type { Permission, Role } from './roles.js';

/** An admin token: a machine. It may do everything in the sandboxes it is valid for. */
export interface TokenPrincipal {
  kind: 'token';
  /** The token's id (`env` for TERN_ADMIN_TOKEN). */
  id: string;
  name: string;
  /** The one sandbox this token may use, or null for all. */
  sandbox: string | null;
}

/** A person signed in to the console through a session cookie. */
export interface UserPrincipal {
  kind: 'user';
  /** The user's id. */
  id: string;
  /** The user's name, else their email. */
  name: string;
  email: string;
  /** Owner in every sandbox; may create sandboxes. */
  instanceAdmin: boolean;
  /** The session's id (the hash of its cookie): signing out revokes it. */
  sessionId: string;
  /** How this session signed in. */
  via: 'password' | 'oidc';
}

export type Principal = TokenPrincipal | UserPrincipal;

/**
 * Who did something, as the audit log and approvals record it: a request's token or user, or
 * Tern itself (`system`: bootstrap, background loops, the demo) or the command line (`cli`:
 * commands that open the database directly).
 */
export interface Actor {
  kind: 'token' | 'user' | 'system' | 'cli';
  id: string;
  name: string;
  /** The address the request came from (the proxy's view when TERN_TRUST_PROXY is set). */
  address: string | null;
}

/** Tern itself: bootstrap, background loops (retention, rotation), the demo. */
export const SYSTEM_ACTOR: Actor = Object.freeze({
  kind: 'system',
  id: 'system',
  name: 'Tern',
  address: null,
});

/** A CLI command that opens the database directly (not through the HTTP API). */
export const CLI_ACTOR: Actor = Object.freeze({
  kind: 'cli',
  id: 'cli',
  name: 'command line',
  address: null,
});

export function actorOf(principal: Principal, address: string | null): Actor {
  return { kind: principal.kind, id: principal.id, name: principal.name, address };
}

/** What a principal may do in one sandbox. */
export interface Access {
  /** The user's roles there (every role for an instance administrator; none for a token). */
  roles: Role[];
  permissions: ReadonlySet<Permission>;
}
