/**
 * Checks `Authorization` against the configured accounts: `App <key>` (prefix matched
 * case-insensitively, since a C# example used `APP`) and `Basic base64(user:pass)`. IBSSO and
 * Bearer tokens are not issued by the simulator, so they always fail.
 */
import type { BasicCredential } from './options.js';

export class Authenticator {
  private readonly keys: Set<string>;
  private readonly basic: Set<string>;

  constructor(apiKeys: readonly string[], basic: readonly BasicCredential[]) {
    this.keys = new Set(apiKeys);
    this.basic = new Set(basic.map((c) => `${c.username}:${c.password}`));
  }

  check(header: string | undefined): boolean {
    if (!header) return false;
    const space = header.indexOf(' ');
    if (space < 0) return false;
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'app') return this.keys.has(value);
    if (scheme === 'basic') {
      return this.basic.has(Buffer.from(value, 'base64').toString('utf8'));
    }
    return false;
  }

  addKey(key: string): void {
    this.keys.add(key);
  }
}

/** The header with its secret replaced, for observation logs. */
export function redactAuthorization(header: string): string {
  const space = header.indexOf(' ');
  return space < 0 ? '[redacted]' : `${header.slice(0, space)} [redacted]`;
}
