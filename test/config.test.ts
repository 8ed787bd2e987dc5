import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';

describe('parseConfig', () => {
  it('gives defaults for an empty environment', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: './data/tern.db',
      publicUrl: 'http://localhost:8080',
      secretKey: undefined,
      adminToken: undefined,
      logLevel: 'info',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable', () => {
    const config = parseConfig({
      TERN_PORT: '9000',
      TERN_HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u@db/tern',
      TERN_PUBLIC_URL: 'https://sms.example.com/',
      TERN_SECRET_KEY: 'ab'.repeat(32),
      TERN_ADMIN_TOKEN: 'a-long-enough-token',
      LOG_LEVEL: 'DEBUG',
    });
    expect(config.port).toBe(9000);
    expect(config.databaseUrl).toBe('postgres://u@db/tern');
    expect(config.publicUrl).toBe('https://sms.example.com');
    expect(config.secretKey?.length).toBe(32);
    expect(config.logLevel).toBe('debug');
  });

  it('accepts a base64 secret key', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(parseConfig({ TERN_SECRET_KEY: key }).secretKey).toEqual(Buffer.alloc(32, 7));
  });

  it('lists every problem in one error', () => {
    let caught: unknown;
    try {
      parseConfig({
        TERN_PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        TERN_PUBLIC_URL: 'ftp://x',
        TERN_SECRET_KEY: 'short',
        TERN_ADMIN_TOKEN: 'tiny',
        LOG_LEVEL: 'loud',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems).toHaveLength(6);
    for (const name of [
      'TERN_PORT',
      'DATABASE_URL',
      'TERN_PUBLIC_URL',
      'TERN_SECRET_KEY',
      'TERN_ADMIN_TOKEN',
      'LOG_LEVEL',
    ]) {
      expect((caught as ConfigError).message).toContain(name);
    }
  });

  it('refuses an out-of-range port', () => {
    expect(() => parseConfig({ TERN_PORT: '70000' })).toThrow(
      /TERN_PORT must be a whole number from 0 to 65535/,
    );
  });
});

describe('parseConfig: metrics, failed authentications, unmatched reports', () => {
  it('has /metrics off, 600 failures a minute and 10,000 unmatched reports by default', () => {
    expect(parseConfig({})).toMatchObject({
      metricsToken: undefined,
      authFailuresPerMinute: 600,
      unmatchedReportsPerCredential: 10_000,
    });
    expect(
      parseConfig({
        TERN_METRICS_TOKEN: 'scrape-token-0123456789',
        TERN_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '30',
        TERN_UNMATCHED_REPORTS_PER_CREDENTIAL: '500',
      }),
    ).toMatchObject({
      metricsToken: 'scrape-token-0123456789',
      authFailuresPerMinute: 30,
      unmatchedReportsPerCredential: 500,
    });
  });

  it('reads the uncertain-send lookup schedule: 6 offsets to 5 min by default, rising, bounded', () => {
    expect(parseConfig({}).uncertainLookupScheduleMs).toEqual([
      2000, 5000, 15000, 45000, 120000, 300000,
    ]);
    expect(
      parseConfig({ TERN_UNCERTAIN_LOOKUP_SCHEDULE_MS: '2000, 5000,15000' })
        .uncertainLookupScheduleMs,
    ).toEqual([2000, 5000, 15000]);
    for (const bad of ['5000,2000', '2000,2000', '999', '2000,x', ',', '1'.repeat(201)]) {
      expect(() => parseConfig({ TERN_UNCERTAIN_LOOKUP_SCHEDULE_MS: bad }), bad).toThrow(
        /TERN_UNCERTAIN_LOOKUP_SCHEDULE_MS must be 1 to 12 rising/,
      );
    }
    const thirteen = Array.from({ length: 13 }, (_, i) => (i + 1) * 1000).join(',');
    expect(() => parseConfig({ TERN_UNCERTAIN_LOOKUP_SCHEDULE_MS: thirteen })).toThrow(ConfigError);
  });

  it('lists a short metrics token and bad bounds together', () => {
    let caught: unknown;
    try {
      parseConfig({
        TERN_METRICS_TOKEN: 'short',
        TERN_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
        TERN_UNMATCHED_REPORTS_PER_CREDENTIAL: 'lots',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toHaveLength(3);
    expect((caught as ConfigError).message).toMatch(/TERN_METRICS_TOKEN must be at least 16/);
  });
});

describe('parseConfig: the send-time policy default zone', () => {
  it('is off by default, takes an IANA zone, refuses anything else', () => {
    expect(parseConfig({}).policyDefaultTimeZone).toBeNull();
    expect(
      parseConfig({ TERN_POLICY_DEFAULT_TIME_ZONE: 'America/Chicago' }).policyDefaultTimeZone,
    ).toBe('America/Chicago');
    for (const bad of ['Mars/Base', '+05:00', 'x'.repeat(200)]) {
      expect(() => parseConfig({ TERN_POLICY_DEFAULT_TIME_ZONE: bad }), bad).toThrow(
        /TERN_POLICY_DEFAULT_TIME_ZONE/,
      );
    }
  });
});

describe('parseConfig: the flows time scale', () => {
  it('is 1 by default, takes 1 to 100000, refuses anything else', () => {
    expect(parseConfig({}).flowTimeScale).toBe(1);
    expect(parseConfig({ TERN_FLOW_TIME_SCALE: '1440' }).flowTimeScale).toBe(1440);
    for (const bad of ['0', '100001', '1.5', 'fast']) {
      expect(() => parseConfig({ TERN_FLOW_TIME_SCALE: bad }), bad).toThrow(/TERN_FLOW_TIME_SCALE/);
    }
  });
});
