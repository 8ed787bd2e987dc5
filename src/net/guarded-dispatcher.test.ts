import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddressRefusedError,
  createGuardedDispatcher,
  createGuardedLookup,
} from './guarded-dispatcher.js';

let server: http.Server;
let port: number;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function get(url: string, allowLoopback: boolean): Promise<string> {
  const dispatcher = createGuardedDispatcher({ allowLoopback, connectTimeoutMs: 2_000 });
  try {
    const res = await request(url, { dispatcher });
    return await res.body.text();
  } finally {
    await dispatcher.close();
  }
}

describe('createGuardedDispatcher', () => {
  it('refuses a hostname that resolves to loopback when loopback is not allowed', async () => {
    const err: unknown = await get(`http://localhost:${port}/`, false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AddressRefusedError);
    expect((err as Error).message).toMatch(
      /refused to connect to localhost: it resolves to (127\.0\.0\.1|::1), a loopback address/,
    );
  });

  it('connects to a hostname that resolves to loopback when loopback is allowed', async () => {
    expect(await get(`http://localhost:${port}/`, true)).toBe('hello');
  });

  it('refuses loopback IP literals unless allowed (Node skips lookup for literals)', async () => {
    await expect(get(`http://127.0.0.1:${port}/`, false)).rejects.toBeInstanceOf(
      AddressRefusedError,
    );
    expect(await get(`http://127.0.0.1:${port}/`, true)).toBe('hello');
  });

  it('refuses private and metadata literals even when loopback is allowed', async () => {
    await expect(get('http://169.254.169.254/latest/meta-data', true)).rejects.toThrow(
      /cloud metadata address/,
    );
    await expect(get('http://10.0.0.1/', true)).rejects.toThrow(/private network address/);
  });

  it('refuses a name whose DNS answer mixes public and internal addresses (rebinding)', async () => {
    const lookup = createGuardedLookup({
      allowLoopback: false,
      resolve: (_host, _family, cb) => {
        cb(null, [
          { address: '8.8.8.8', family: 4 },
          { address: '10.0.0.5', family: 4 },
        ]);
      },
    });
    const err = await new Promise<unknown>((resolve) => {
      lookup('rebind.example', { all: true }, (e) => resolve(e));
    });
    expect(err).toBeInstanceOf(AddressRefusedError);
    expect((err as Error).message).toBe(
      'refused to connect to rebind.example: it resolves to 10.0.0.5, a private network address',
    );
  });

  it('passes public answers through in both lookup calling conventions', async () => {
    const lookup = createGuardedLookup({
      allowLoopback: false,
      resolve: (_host, _family, cb) => {
        cb(null, [{ address: '8.8.8.8', family: 4 }]);
      },
    });
    const all = await new Promise<unknown>((resolve) => {
      lookup('ok.example', { all: true }, (_e, addresses) => resolve(addresses));
    });
    expect(all).toEqual([{ address: '8.8.8.8', family: 4 }]);
    const single = await new Promise<unknown[]>((resolve) => {
      lookup('ok.example', {}, (_e, address, family) => resolve([address, family]));
    });
    expect(single).toEqual(['8.8.8.8', 4]);
  });
});
