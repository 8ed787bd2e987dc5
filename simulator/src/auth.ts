/**
 * Checks `Authorization` against the configured accounts: `App <key>` (prefix matched
 * case-insensitively, since a C# example used `APP`) and `Basic base64(user:pass)`. IBSSO and
 * Bearer tokens are not issued by the simulator, so they always fail. Each key or account has
 * its scopes (see scopes.ts); the route's check against them is {@link Principal.allows}.
 */
import type { ApiKeySpec, BasicCredential } from './options.js';
import { SENDING_SCOPES, type Scope } from './scopes.js';

/** Who made a request: an id for per-key throttling, and the scopes it holds. */
export interface Principal {
  id: string;
  scopes: ReadonlySet<Scope>;
}

export function allows(principal: Principal, required: readonly Scope[]): boolean {
  for (const scope of required) if (principal.scopes.has(scope)) return true;
  return false;
}

export function normalizeKey(spec: string | ApiKeySpec): { key: string; scopes: Scope[] } {
  return typeof spec === 'string'
    ? { key: spec, scopes: [...SENDING_SCOPES] }
    : { key: spec.key, scopes: [...spec.scopes] };
}

export class Authenticator {
  private readonly keys = new Map<string, Principal>();
  private readonly basic = new Map<string, Principal>();

  constructor(apiKeys: readonly (string | ApiKeySpec)[], basic: readonly BasicCredential[]) {
    for (const spec of apiKeys) {
      const { key, scopes } = normalizeKey(spec);
      this.setKey(key, scopes);
    }
    for (const c of basic) {
      this.basic.set(`${c.username}:${c.password}`, {
        id: `basic:${c.username}`,
        scopes: new Set(c.scopes ?? SENDING_SCOPES),
      });
    }
  }

  /** The principal named by the header, or undefined (→ 401). */
  check(header: string | undefined): Principal | undefined {
    if (!header) return undefined;
    const space = header.indexOf(' ');
    if (space < 0) return undefined;
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'app') return this.keys.get(value);
    if (scheme === 'basic') return this.basic.get(Buffer.from(value, 'base64').toString('utf8'));
    return undefined;
  }

  /** Adds a key, or replaces the scopes of an existing one. */
  setKey(key: string, scopes: readonly Scope[]): void {
    this.keys.set(key, { id: `app:${key}`, scopes: new Set(scopes) });
  }

  removeKey(key: string): boolean {
    return this.keys.delete(key);
  }

  /** Each key with its scopes (the control API is a local test tool; keys are test values). */
  list(): { key: string; scopes: Scope[] }[] {
    return [...this.keys].map(([key, p]) => ({ key, scopes: [...p.scopes] }));
  }
}

/** The header with its secret replaced, for observation logs. */
export function redactAuthorization(header: string): string {
  const space = header.indexOf(' ');
  return space < 0 ? '[redacted]' : `${header.slice(0, space)} [redacted]`;
}
