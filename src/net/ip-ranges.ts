/**
 * Classifies IP addresses for the SSRF guard. Range membership comes from ipaddr.js `range()`;
 * this file only decides which of its named ranges Tern may send an API key to.
 */
import ipaddr from 'ipaddr.js';

/** What kind of network an address belongs to, as far as the SSRF guard cares. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'unique-local'
  | 'carrier-grade-nat'
  | 'unspecified'
  | 'multicast'
  | 'reserved'
  | 'invalid';

/** Cloud instance-metadata endpoints (AWS/GCP/Azure/OpenStack IPv4, AWS IPv6). */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254']);

const CLASS_LABEL: Record<Exclude<AddressClass, 'public'>, string> = {
  loopback: 'a loopback address',
  private: 'a private network address',
  'link-local': 'a link-local address',
  metadata: 'a cloud metadata address',
  'unique-local': 'a unique-local IPv6 address',
  'carrier-grade-nat': 'a carrier-grade NAT address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast or broadcast address',
  reserved: 'a reserved or special-purpose address',
  invalid: 'not a valid IP address',
};

/** A phrase for messages: "a private network address", "a loopback address", … */
export function describeAddressClass(cls: AddressClass): string {
  return cls === 'public' ? 'a public address' : CLASS_LABEL[cls];
}

/** Strips the brackets URL hostnames put around IPv6 literals. */
function unbracket(ip: string): string {
  return ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
}

/** True when `host` is an IPv4 or IPv6 literal (brackets allowed), in the strict forms a URL or resolver gives. */
export function isIpLiteral(host: string): boolean {
  const h = unbracket(host);
  return ipaddr.IPv4.isValidFourPartDecimal(h) || (h.includes(':') && ipaddr.IPv6.isValid(h));
}

function classifyV4(addr: ipaddr.IPv4): AddressClass {
  if (METADATA_ADDRESSES.has(addr.toString())) return 'metadata';
  const range = addr.range();
  switch (range) {
    case 'unicast':
      return 'public';
    case 'loopback':
      return 'loopback';
    case 'private':
      return 'private';
    case 'linkLocal':
      return 'link-local';
    case 'carrierGradeNat':
      return 'carrier-grade-nat';
    case 'unspecified':
      return 'unspecified';
    case 'multicast':
    case 'broadcast':
      return 'multicast';
    case 'reserved':
    case 'benchmarking':
    case 'amt':
    case 'as112':
      return 'reserved';
    default: {
      // A newer ipaddr.js may add ranges: refuse what we have not reviewed.
      const _unreviewed: never = range;
      return 'reserved';
    }
  }
}

/** The IPv4 address embedded in the low 32 bits of an IPv6 address. */
function low32(addr: ipaddr.IPv6): ipaddr.IPv4 {
  const p = addr.parts;
  const hi = p[6] ?? 0;
  const lo = p[7] ?? 0;
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

function classifyV6(addr: ipaddr.IPv6): AddressClass {
  if (METADATA_ADDRESSES.has(addr.toString())) return 'metadata';
  // ipaddr.js's range() is typed narrower than what it returns (e.g. 'deprecatedSiteLocal').
  const range: string = addr.range();
  switch (range) {
    case 'unicast': {
      // IPv4-compatible ::a.b.c.d (deprecated, RFC 4291) is not a special range in ipaddr.js.
      const p = addr.parts;
      if (p.slice(0, 6).every((x) => x === 0)) return 'reserved';
      return 'public';
    }
    case 'loopback':
      return 'loopback';
    case 'linkLocal':
      return 'link-local';
    case 'uniqueLocal':
    case 'deprecatedSiteLocal':
      return 'unique-local';
    case 'unspecified':
      return 'unspecified';
    case 'multicast':
      return 'multicast';
    case 'ipv4Mapped':
    case 'rfc6145':
    case 'rfc6052':
      // ::ffff:a.b.c.d, ::ffff:0:a.b.c.d and NAT64 64:ff9b::a.b.c.d reach the embedded IPv4.
      return classifyV4(low32(addr));
    case '6to4': {
      const p = addr.parts;
      const a = p[1] ?? 0;
      const b = p[2] ?? 0;
      return classifyV4(new ipaddr.IPv4([a >> 8, a & 0xff, b >> 8, b & 0xff]));
    }
    default:
      // teredo, discard, benchmarking, orchid, documentation, segment routing, …
      return 'reserved';
  }
}

/** Classifies an IP literal (IPv4, IPv6, bracketed IPv6); anything unparsable is 'invalid'. */
export function classifyAddress(ip: string): AddressClass {
  const h = unbracket(ip);
  if (ipaddr.IPv4.isValidFourPartDecimal(h)) return classifyV4(ipaddr.IPv4.parse(h));
  if (h.includes(':') && ipaddr.IPv6.isValid(h)) {
    const v6 = ipaddr.IPv6.parse(h);
    // A zone id (fe80::1%eth0) only makes sense on a local link.
    if (v6.zoneId !== undefined) return 'link-local';
    return classifyV6(v6);
  }
  return 'invalid';
}

/** Why an address may not receive the API key (a phrase such as "a private network address"), or `null` when it may. */
export function refusalReason(ip: string, opts: { allowLoopback: boolean }): string | null {
  const cls = classifyAddress(ip);
  if (cls === 'public') return null;
  if (cls === 'loopback' && opts.allowLoopback) return null;
  const label = CLASS_LABEL[cls];
  if (cls === 'loopback') {
    return `${label} (loopback providers are allowed only with TERN_ALLOW_LOOPBACK_PROVIDER=true)`;
  }
  return label;
}
