/**
 * Validation of the user-entered provider base URL. Tern sends the API key to this URL, so it is
 * the main SSRF risk: only Infobip hosts, operator-allowlisted hosts, or (for the simulator and
 * the demo) loopback are accepted. DNS is checked again at connect time by the guarded dispatcher.
 */
import { classifyAddress, describeAddressClass, isIpLiteral } from './ip-ranges.js';

/** Operator settings that widen what a base URL may point at. */
export interface ProviderUrlPolicy {
  /** `TERN_ALLOW_LOOPBACK_PROVIDER`: permits http(s) to 127.0.0.0/8, ::1 and `localhost`. */
  allowLoopback: boolean;
  /** `TERN_PROVIDER_HOST_ALLOWLIST`: hostnames, optionally `*.example.com` for any subdomain. */
  hostAllowlist: string[];
}

/** The outcome of checking a base URL: the normalised origin, or every problem found. */
export type ProviderUrlCheck = { ok: true; url: string } | { ok: false; problems: string[] };

const INFOBIP_APEX = 'infobip.com';

function normaliseHost(host: string): string {
  const lower = host.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** True for Infobip's API hosts: `api.infobip.com` and any subdomain of `infobip.com`. */
export function isInfobipHost(host: string): boolean {
  const h = normaliseHost(host);
  return h.endsWith(`.${INFOBIP_APEX}`);
}

/** True when `host` matches an allowlist entry (`example.com` exactly, `*.example.com` any subdomain). */
export function matchesAllowlist(host: string, allowlist: readonly string[]): boolean {
  const h = normaliseHost(host);
  for (const raw of allowlist) {
    const entry = normaliseHost(raw);
    if (entry === '' || entry === '*' || entry === '*.') continue;
    if (entry.startsWith('*.')) {
      const suffix = entry.slice(1); // ".example.com"
      if (!suffix.slice(1).includes('*') && h.endsWith(suffix) && h.length > suffix.length) {
        return true;
      }
    } else if (!entry.includes('*') && h === entry) {
      return true;
    }
  }
  return false;
}

function isLoopbackName(host: string): boolean {
  return normaliseHost(host) === 'localhost';
}

function isLoopbackHost(host: string): boolean {
  return isLoopbackName(host) || (isIpLiteral(host) && classifyAddress(host) === 'loopback');
}

const LOOPBACK_HINT =
  'loopback providers (the simulator, the demo) are allowed only when TERN_ALLOW_LOOPBACK_PROVIDER=true';

/** Checks a provider base URL against the SSRF rules; on success returns its origin without a trailing slash. */
export function checkProviderBaseUrl(raw: string, policy: ProviderUrlPolicy): ProviderUrlCheck {
  const given = raw.trim();
  if (given === '') return { ok: false, problems: ['must not be empty'] };
  // Infobip's portal shows the base URL without a scheme (`xxxxx.api.infobip.com`): a bare host
  // means https, as in Infobip's SDKs. (`localhost:9090` would otherwise parse as a scheme.)
  const bare = /^[a-z0-9]/i.test(given) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(given);
  const text = bare ? `https://${given}` : given;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return {
      ok: false,
      problems: ['must be an absolute URL such as https://xxxxx.api.infobip.com'],
    };
  }

  const problems: string[] = [];
  const protocol = url.protocol;
  const host = normaliseHost(url.hostname);

  if (protocol !== 'https:' && protocol !== 'http:') {
    problems.push(`must use https (got ${protocol.replace(/:$/, '')})`);
  }
  if (url.username !== '' || url.password !== '') {
    problems.push('must not contain a username or password; the API key is sent in a header');
  }
  const beforeFragment = text.split('#')[0] ?? '';
  if (url.search !== '' || beforeFragment.includes('?')) {
    problems.push('must not contain a query string');
  }
  if (url.hash !== '' || text.includes('#')) {
    problems.push('must not contain a fragment (#…)');
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    problems.push(
      `must not contain a path (got ${url.pathname}); give only the base, e.g. https://xxxxx.api.infobip.com`,
    );
  }
  if (host === '') {
    problems.push('must contain a host name');
  }

  if (host !== '' && protocol === 'http:') {
    if (!isLoopbackHost(host)) {
      problems.push(
        'must use https; plain http is allowed only to a loopback address (127.0.0.1, ::1, localhost)',
      );
    } else if (!policy.allowLoopback) {
      problems.push(`must use https: ${LOOPBACK_HINT}`);
    }
  } else if (host !== '' && protocol === 'https:') {
    problems.push(...httpsHostProblems(host, policy));
  }

  if (problems.length > 0) return { ok: false, problems };
  const port = url.port === '' ? '' : `:${url.port}`;
  const hostPart = url.hostname.endsWith('.') ? url.hostname.slice(0, -1) : url.hostname;
  return { ok: true, url: `${protocol}//${hostPart.toLowerCase()}${port}` };
}

function httpsHostProblems(host: string, policy: ProviderUrlPolicy): string[] {
  if (isIpLiteral(host)) {
    const cls = classifyAddress(host);
    if (cls === 'loopback') {
      return policy.allowLoopback ? [] : [`host ${host} is a loopback address: ${LOOPBACK_HINT}`];
    }
    if (cls !== 'public') {
      return [
        `host ${host} is ${describeAddressClass(cls)}; internal addresses are never allowed, even when allowlisted`,
      ];
    }
    if (matchesAllowlist(host, policy.hostAllowlist)) return [];
    return [
      `host ${host} is not an Infobip API host (*.api.infobip.com) or on TERN_PROVIDER_HOST_ALLOWLIST`,
    ];
  }
  if (isLoopbackName(host)) {
    return policy.allowLoopback ? [] : [`host ${host} is a loopback name: ${LOOPBACK_HINT}`];
  }
  if (isInfobipHost(host) || matchesAllowlist(host, policy.hostAllowlist)) return [];
  return [
    `host ${host} is not an Infobip API host (*.api.infobip.com) or on TERN_PROVIDER_HOST_ALLOWLIST`,
  ];
}
