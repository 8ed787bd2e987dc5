/**
 * TERN_TRUST_PROXY: which proxies' `X-Forwarded-For` Tern believes for the client's address
 * (request.ip: the audit log's "from where", the failed-authentication limit, the rate limits).
 * The value is Fastify's `trustProxy`, which hands it to proxy-addr.
 */
import ipaddr from 'ipaddr.js';

/** Off; every hop; or the proxies' addresses, CIDR ranges and named ranges. */
export type TrustProxy = boolean | readonly string[];

/** proxy-addr's names for whole ranges: 127.0.0.0/8 + ::1, 169.254.0.0/16 + fe80::/10, 10/8 … + fc00::/7. */
const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'] as const;
const MAX_ENTRIES = 32;
const MAX_LENGTH = 1000;

const ALLOWED = `true, false, or a comma-separated list of at most ${MAX_ENTRIES} proxy addresses, CIDR ranges (10.0.0.0/8) and ${NAMED_RANGES.join(', ')}`;

/** The parsed setting, or the problem with it worded for the operator. */
export function parseTrustProxy(
  raw: string | undefined,
): { value: TrustProxy } | { problem: string } {
  if (raw === undefined) return { value: false };
  const shown = raw.slice(0, 80);
  const lower = raw.toLowerCase();
  if (['false', 'no', 'off', '0'].includes(lower)) return { value: false };
  if (['true', 'yes'].includes(lower)) return { value: true };
  // Fastify 5 takes a hop count but trusts nothing with it (it cannot tell the nearest peer is
  // a proxy, so it fails closed): refused, rather than a setting that quietly does nothing.
  if (/^\d+$/.test(raw)) {
    return {
      problem: `TERN_TRUST_PROXY must be ${ALLOWED}; a hop count is not enough: name the proxies' addresses (got "${shown}")`,
    };
  }
  const entries = raw.length <= MAX_LENGTH ? raw.split(',').map((e) => e.trim()) : [];
  const bad = entries.filter((entry) => !isProxyEntry(entry));
  if (entries.length === 0 || entries.length > MAX_ENTRIES || bad.length > 0) {
    const which =
      bad.length > 0
        ? `; not an address or range: ${bad
            .slice(0, 5)
            .map((e) => e.slice(0, 45))
            .join(', ')}`
        : '';
    return {
      problem: `TERN_TRUST_PROXY must be ${ALLOWED} (got "${shown}"${which})`,
    };
  }
  return { value: Object.freeze(entries.map((e) => e.toLowerCase())) };
}

function isProxyEntry(entry: string): boolean {
  if ((NAMED_RANGES as readonly string[]).includes(entry.toLowerCase())) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  // Four-part IPv4 only: ipaddr.js also reads "127.1" and "0x7f000001", which nobody means.
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(address);
  if (!v4 && !ipaddr.IPv6.isValid(address)) return false;
  if (prefix === undefined) return true;
  return rest.length === 0 && /^\d{1,3}$/.test(prefix) && Number(prefix) <= (v4 ? 32 : 128);
}
