/**
 * An undici dispatcher that refuses to connect to internal addresses. The base-URL check runs
 * when an operator saves a credential; this runs on every connection, so a hostname that
 * resolves (or later rebinds) to a private, link-local or metadata address is refused too.
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { isIpLiteral, refusalReason } from './ip-ranges.js';

/** Options for {@link createGuardedDispatcher}. */
export interface GuardedDispatcherOptions {
  /** Permit loopback addresses (simulator, demo); everything else internal is always refused. */
  allowLoopback: boolean;
  /** TCP + TLS handshake budget per connection. */
  connectTimeoutMs: number;
  /** The resolver; defaults to `dns.lookup` (what Node would use). Tests may inject one. */
  resolve?: Resolver;
}

/** Resolves a hostname to every address it has, like `dns.lookup(host, { all: true })`. */
export type Resolver = (
  hostname: string,
  family: number,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

/** Raised (to undici, which rejects the request with it) when a connection target is internal. */
export class AddressRefusedError extends Error {
  readonly code = 'ERR_TERN_ADDRESS_REFUSED';
  constructor(
    readonly hostname: string,
    readonly reason: string,
  ) {
    super(`refused to connect to ${hostname}: ${reason}`);
    this.name = 'AddressRefusedError';
  }
}

const systemResolver: Resolver = (hostname, family, callback) => {
  dns.lookup(hostname, { all: true, family, verbatim: true }, callback);
};

/** A `lookup` for net/tls.connect that resolves, then refuses if any address is internal. */
export function createGuardedLookup(opts: {
  allowLoopback: boolean;
  resolve?: Resolver;
}): LookupFunction {
  const resolve = opts.resolve ?? systemResolver;
  return (hostname, options, callback) => {
    const family = typeof options.family === 'number' ? options.family : 0;
    resolve(hostname, family, (err, addresses) => {
      if (err) {
        callback(err, '', 0);
        return;
      }
      // One internal answer is enough to refuse: a mixed answer is how DNS rebinding looks.
      for (const a of addresses) {
        const reason = refusalReason(a.address, opts);
        if (reason !== null) {
          callback(
            new AddressRefusedError(hostname, `it resolves to ${a.address}, ${reason}`),
            '',
            0,
          );
          return;
        }
      }
      const first = addresses[0];
      if (first === undefined) {
        const e: NodeJS.ErrnoException = new Error(`no addresses for ${hostname}`);
        e.code = 'ENOTFOUND';
        callback(e, '', 0);
        return;
      }
      if (options.all === true) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

/** Builds the undici `Agent` every provider request goes through. */
export function createGuardedDispatcher(opts: GuardedDispatcherOptions): Agent {
  const lookup = createGuardedLookup(opts);
  const base = buildConnector({ timeout: opts.connectTimeoutMs, lookup });
  const connect: buildConnector.connector = (options, callback) => {
    // Node skips `lookup` for IP literals, so they are checked here.
    if (isIpLiteral(options.hostname)) {
      const reason = refusalReason(options.hostname, opts);
      if (reason !== null) {
        callback(new AddressRefusedError(options.hostname, `it is ${reason}`), null);
        return;
      }
    }
    base(options, callback);
  };
  return new Agent({ connect });
}
