/**
 * Going live: Infobip calls Tern back at `TERN_PUBLIC_URL` (delivery reports, inbound texts).
 * Its default, `http://localhost:8080`, is right for the simulator and wrong for a real account,
 * and nothing said so. These pure checks name the problem for the start-up log, the console and
 * each credential whose base URL is a real Infobip API host.
 */
import type { Executor } from '../db/executor.js';
import { classifyAddress, isIpLiteral } from '../net/ip-ranges.js';

/** Why Infobip could not (or should not) call `TERN_PUBLIC_URL`. */
export type PublicUrlProblem = 'loopback' | 'private_address' | 'plain_http';

export interface PublicUrlWarning {
  code: 'public_url_not_reachable' | 'public_url_not_https';
  message: string;
}

/** The longest base URL or public URL read here; longer ones are not parsed (config and the API bound both lower). */
const MAX_URL_LENGTH = 2000;

function parse(raw: string): URL | null {
  if (raw.length > MAX_URL_LENGTH) return null;
  try {
    // Infobip's portal shows the base URL without a scheme (`xxxxx.api.infobip.com`).
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`);
  } catch {
    return null;
  }
}

function hostOf(url: URL): string {
  const h = url.hostname.toLowerCase();
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** True for Infobip's real API hosts: `api.infobip.com` and `*.api.infobip.com` (not the simulator, not an allowlisted proxy). */
export function isRealInfobipApiHost(baseUrl: string): boolean {
  const url = parse(baseUrl);
  if (!url) return false;
  const host = hostOf(url);
  return host === 'api.infobip.com' || host.endsWith('.api.infobip.com');
}

/** What is wrong with a public URL for a provider on the internet, worst first (empty: nothing). */
export function publicUrlProblems(publicUrl: string): PublicUrlProblem[] {
  const url = parse(publicUrl);
  if (!url) return ['loopback'];
  const host = hostOf(url);
  const problems: PublicUrlProblem[] = [];
  const bare = host.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) problems.push('loopback');
  else if (isIpLiteral(host)) {
    const cls = classifyAddress(bare);
    if (cls === 'loopback' || cls === 'unspecified') problems.push('loopback');
    else if (cls !== 'public') problems.push('private_address');
  }
  if (url.protocol === 'http:') problems.push('plain_http');
  return problems;
}

/**
 * The warnings a credential carries: none unless its base URL is a real Infobip host, then
 * one per problem of the public URL. The message says what breaks and what to do.
 */
export function publicUrlWarnings(publicUrl: string, baseUrl: string): PublicUrlWarning[] {
  if (!isRealInfobipApiHost(baseUrl)) return [];
  return publicUrlWarningsFor(publicUrl);
}

/** The warnings for a public URL alone (the start-up log and the console banner). */
export function publicUrlWarningsFor(publicUrl: string): PublicUrlWarning[] {
  const shown = publicUrl.length > 200 ? `${publicUrl.slice(0, 200)}…` : publicUrl;
  const warnings: PublicUrlWarning[] = [];
  for (const problem of publicUrlProblems(publicUrl)) {
    if (problem === 'plain_http') {
      warnings.push({
        code: 'public_url_not_https',
        message: `TERN_PUBLIC_URL (${shown}) is plain http: Infobip would send delivery reports and inbound texts, with the webhook secret in the URL, unencrypted. Put Tern behind a reverse proxy with TLS and set TERN_PUBLIC_URL to its https URL.`,
      });
    } else {
      const where = problem === 'loopback' ? 'this machine' : 'a private network';
      warnings.push({
        code: 'public_url_not_reachable',
        message: `TERN_PUBLIC_URL (${shown}) points at ${where}: Infobip cannot reach it, so delivery reports and inbound texts (STOP included) never arrive. Set TERN_PUBLIC_URL to the public https URL of Tern.`,
      });
    }
  }
  return warnings;
}

/**
 * At start: the public-URL warnings when any stored credential, in any sandbox, names a real
 * Infobip host (with how many), else none (the simulator and the demo call back locally).
 */
export async function startupPublicUrlWarnings(
  db: Executor,
  publicUrl: string,
): Promise<{ credentials: number; warnings: PublicUrlWarning[] }> {
  const warnings = publicUrlWarningsFor(publicUrl);
  if (warnings.length === 0) return { credentials: 0, warnings };
  const rows = await db.selectFrom('credentials').select('base_url').distinct().execute();
  const real = rows.filter((r) => isRealInfobipApiHost(r.base_url)).map((r) => r.base_url);
  if (real.length === 0) return { credentials: 0, warnings: [] };
  const count = await db
    .selectFrom('credentials')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('base_url', 'in', real)
    .executeTakeFirstOrThrow();
  return { credentials: Number(count.n), warnings };
}
