import { createServer } from 'node:net';

/**
 * Start-up failures an operator can fix. The CLI prints the message as one line (no stack unless
 * LOG_LEVEL=debug), so the message says what went wrong and what to do about it.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}

const codeOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

/** The error `listen` raised, worded for the operator when it is one they can fix. */
export function listenError(error: unknown, host: string, port: number): unknown {
  const cause = { cause: error };
  switch (codeOf(error)) {
    case 'EADDRINUSE':
      return new StartupError(
        `port ${port} on ${host} is already in use (another Tern or another program holds it): stop that, or choose another port with --port ${port === 65535 ? port - 1 : port + 1} or TERN_PORT.`,
        cause,
      );
    case 'EACCES':
      return new StartupError(
        `this user may not listen on port ${port} (ports below 1024 need privileges): choose a port above 1023 with --port or TERN_PORT, and put a reverse proxy in front for 80 and 443.`,
        cause,
      );
    case 'EADDRNOTAVAIL':
      return new StartupError(
        `${host} is not an address of this machine: set TERN_HOST to one (127.0.0.1, or 0.0.0.0 for every interface).`,
        cause,
      );
    default:
      return error;
  }
}

/**
 * Binds `host:port` for a moment and lets go, so that a port in use (or a host that is not this
 * machine's) stops `tern serve` at once, before it opens the database and runs migrations, not
 * after. `listen` itself still maps its errors: another program may take the port in between.
 */
export function assertCanListen(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve(); // any free port: nothing to check
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => {
      const worded = listenError(error, host, port);
      reject(worded instanceof Error ? worded : error);
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
