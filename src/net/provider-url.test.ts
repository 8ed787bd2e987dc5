import { describe, expect, it } from 'vitest';
import { checkProviderBaseUrl, matchesAllowlist, type ProviderUrlPolicy } from './provider-url.js';

const strict: ProviderUrlPolicy = { allowLoopback: false, hostAllowlist: [] };
const loopback: ProviderUrlPolicy = { allowLoopback: true, hostAllowlist: [] };
const allow: ProviderUrlPolicy = {
  allowLoopback: false,
  hostAllowlist: ['proxy.example.com', '*.corp.example.net', '8.8.8.8', '10.1.2.3', '[::1]'],
};

describe('checkProviderBaseUrl: accepted', () => {
  const cases: [string, ProviderUrlPolicy, string][] = [
    ['https://ggx5k8.api.infobip.com', strict, 'https://ggx5k8.api.infobip.com'],
    ['https://ggx5k8.api.infobip.com/', strict, 'https://ggx5k8.api.infobip.com'],
    ['  https://GGX5K8.API.Infobip.com/  ', strict, 'https://ggx5k8.api.infobip.com'],
    ['https://api.infobip.com', strict, 'https://api.infobip.com'],
    ['https://eu.infobip.com', strict, 'https://eu.infobip.com'],
    ['https://api.infobip.com.', strict, 'https://api.infobip.com'],
    ['https://api.infobip.com:443', strict, 'https://api.infobip.com'],
    ['https://api.infobip.com:8443/', strict, 'https://api.infobip.com:8443'],
    ['https://proxy.example.com', allow, 'https://proxy.example.com'],
    ['https://a.b.corp.example.net/', allow, 'https://a.b.corp.example.net'],
    ['https://8.8.8.8', allow, 'https://8.8.8.8'],
    ['http://127.0.0.1:9090', loopback, 'http://127.0.0.1:9090'],
    ['http://127.1.2.3:9090/', loopback, 'http://127.1.2.3:9090'],
    ['http://localhost:9090', loopback, 'http://localhost:9090'],
    ['http://[::1]:9090', loopback, 'http://[::1]:9090'],
    ['https://localhost:9443', loopback, 'https://localhost:9443'],
    // As Infobip's portal shows it: no scheme means https (issue 13 item 10).
    ['ggx5k8.api.infobip.com', strict, 'https://ggx5k8.api.infobip.com'],
    [' GGX5K8.api.infobip.com/ ', strict, 'https://ggx5k8.api.infobip.com'],
    ['localhost:9443', loopback, 'https://localhost:9443'],
  ];
  it.each(cases)('%s', (raw, policy, expected) => {
    expect(checkProviderBaseUrl(raw, policy)).toEqual({ ok: true, url: expected });
  });
});

describe('checkProviderBaseUrl: refused', () => {
  const cases: [string, ProviderUrlPolicy, RegExp][] = [
    ['', strict, /must not be empty/],
    ['example.com', strict, /not an Infobip API host/],
    ['ggx5k8.api.infobip.com/sms/3/messages', strict, /must not contain a path/],
    ['//api.infobip.com', strict, /absolute URL/],
    ['ftp://api.infobip.com', strict, /must use https \(got ftp\)/],
    ['file:///etc/passwd', strict, /must use https/],
    ['http://api.infobip.com', strict, /must use https; plain http is allowed only to a loopback/],
    ['http://api.infobip.com', loopback, /plain http is allowed only to a loopback/],
    ['http://127.0.0.1:9090', strict, /TERN_ALLOW_LOOPBACK_PROVIDER=true/],
    ['http://localhost', strict, /TERN_ALLOW_LOOPBACK_PROVIDER=true/],
    ['https://127.0.0.1', strict, /loopback address/],
    ['https://[::1]', allow, /loopback address/],
    ['https://user:pw@api.infobip.com', strict, /username or password/],
    ['https://user@api.infobip.com', strict, /username or password/],
    ['https://api.infobip.com/?x=1', strict, /query string/],
    ['https://api.infobip.com?', strict, /query string/],
    ['https://api.infobip.com/#frag', strict, /fragment/],
    ['https://api.infobip.com#', strict, /fragment/],
    ['https://api.infobip.com/sms/3/messages', strict, /must not contain a path/],
    ['https://infobip.com', strict, /not an Infobip API host/],
    ['https://evilinfobip.com', strict, /not an Infobip API host/],
    ['https://api.infobip.com.evil.com', strict, /not an Infobip API host/],
    ['https://example.com', strict, /not an Infobip API host/],
    ['https://corp.example.net', allow, /not an Infobip API host/],
    ['https://xproxy.example.com', allow, /not an Infobip API host/],
    ['https://1.1.1.1', strict, /not an Infobip API host/],
    ['https://10.1.2.3', allow, /private network address.*even when allowlisted/],
    ['https://192.168.1.10', strict, /private network/],
    ['https://172.16.0.1', strict, /private network/],
    ['https://169.254.169.254', strict, /metadata/],
    ['https://169.254.1.1', strict, /link-local/],
    ['https://100.64.0.1', strict, /carrier-grade NAT/],
    ['https://0.0.0.0', strict, /unspecified/],
    ['https://224.0.0.1', strict, /multicast/],
    ['https://[fd00::1]', strict, /unique-local/],
    ['https://[fe80::1]', strict, /link-local/],
    ['https://[::ffff:10.0.0.1]', strict, /private network/],
    ['https://[::ffff:169.254.169.254]', strict, /metadata/],
    ['https://2130706433', strict, /loopback/],
    ['https://0x7f.1', strict, /loopback/],
  ];
  it.each(cases)('%s', (raw, policy, problem) => {
    const result = checkProviderBaseUrl(raw, policy);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join('\n')).toMatch(problem);
  });

  it('lists every problem at once', () => {
    const result = checkProviderBaseUrl('http://u:p@example.com/x?y#z', strict);
    expect(result).toEqual({
      ok: false,
      problems: [
        'must not contain a username or password; the API key is sent in a header',
        'must not contain a query string',
        'must not contain a fragment (#…)',
        'must not contain a path (got /x); give only the base, e.g. https://xxxxx.api.infobip.com',
        'must use https; plain http is allowed only to a loopback address (127.0.0.1, ::1, localhost)',
      ],
    });
  });
});

describe('matchesAllowlist', () => {
  it.each([
    ['a.example.com', ['*.example.com'], true],
    ['example.com', ['*.example.com'], false],
    ['EXAMPLE.com', ['example.COM'], true],
    ['example.com', ['*'], false],
    ['a.example.com', ['a.*.com'], false],
    ['badexample.com', ['*.example.com'], false],
    ['x.example.com', [' x.example.com. '], true],
  ])('%s in %j → %s', (host, list, expected) => {
    expect(matchesAllowlist(host, list)).toBe(expected);
  });
});
