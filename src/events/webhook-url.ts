import { classifyAddress, isIpLiteral } from '../net/ip-ranges.js';

/** The refusal of a URL whose host is, or resolves to, an internal address: never the address. */
export const REFUSED_ADDRESS_MESSAGE =
  'the URL is not allowed: it must resolve to a public address';

/**
 * Checks an event webhook URL before it is stored: https to any host that is not an internal
 * address, or http(s) to loopback only when the operator allows loopback
 * (`TERN_ALLOW_LOOPBACK_PROVIDER`). Host names are checked again at connect time by the
 * guarded dispatcher, so one that resolves (or rebinds) to an internal address is refused then.
 */
export function checkWebhookUrl(
  raw: string,
  policy: { allowLoopback: boolean },
): { ok: true; url: string } | { ok: false; problems: string[] } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return {
      ok: false,
      problems: ['must be an absolute URL such as https://example.com/hooks/tern'],
    };
  }
  const problems: string[] = [];
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const loopback =
    host === 'localhost' || (isIpLiteral(host) && classifyAddress(host) === 'loopback');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.push(`must use https (got ${url.protocol.replace(/:$/, '')})`);
  } else if (url.protocol === 'http:' && !loopback) {
    problems.push('must use https; plain http is allowed only to a loopback address');
  }
  if (url.username !== '' || url.password !== '') {
    problems.push('must not contain a username or password');
  }
  if (url.hash !== '') problems.push('must not contain a fragment (#…)');
  if (host === '') problems.push('must contain a host name');
  if (loopback && !policy.allowLoopback) {
    problems.push(
      'loopback addresses are allowed only when TERN_ALLOW_LOOPBACK_PROVIDER=true (tests, demos)',
    );
  } else if (!loopback && isIpLiteral(host)) {
    // One wording for every internal class, as the delivery log says for a name that resolves
    // to one: the answer never tells what kind of internal address it saw.
    if (classifyAddress(host) !== 'public') problems.push(REFUSED_ADDRESS_MESSAGE);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, url: url.toString() };
}
