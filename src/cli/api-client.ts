/**
 * The CLI's door into a running Tern: its HTTP API, at the URL and with the token that flags,
 * the environment or a saved profile name (in that order). Resource commands never open the
 * database: run from any directory, they change the Tern that is serving, and what they print
 * (webhook URLs included) is what that server answered.
 */
import { loadEnv } from '../config.js';
import { readProfiles, type Profile } from './profiles.js';
import { UsageError } from './usage.js';

/** The flags that choose the target (each also an environment variable). */
export interface TargetFlags {
  url?: string;
  token?: string;
  sandbox?: string;
  profile?: string;
}

/** Where the requests go, and where each setting came from (for `tern profiles list` and errors). */
export interface Target {
  url: string;
  token: string | undefined;
  sandbox: string | undefined;
  /** The profile read, if any. */
  profile: string | undefined;
  urlFrom: 'flag' | 'env' | 'profile';
}

export const NO_URL_HINT =
  'no Tern to talk to: pass --url URL (and --token TOKEN), set TERN_URL (and TERN_TOKEN), or save a profile with "tern profiles set NAME --url URL --token TOKEN --default"';

/** A failure answered by the API: its code, message and each field's problem, as it sent them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { path?: string; message: string; [key: string]: unknown }[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The server could not be reached at all (refused, unknown host, timed out). */
export class ConnectionError extends Error {
  readonly code = 'connection_failed';
  override name = 'ConnectionError';
}

const text = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
};

/**
 * Flags first, then TERN_URL / TERN_TOKEN / TERN_SANDBOX / TERN_PROFILE, then the profile
 * (--profile, TERN_PROFILE, else the default one). A profile's token is sent only to that
 * profile's URL: with another URL from a flag or the environment it would go to a server it was
 * not made for.
 */
export function resolveTarget(flags: TargetFlags, env = loadEnv()): Target {
  const named = text(flags.profile) ?? text(env.TERN_PROFILE);
  const file = readProfiles(env);
  const profileName = named ?? file.default ?? undefined;
  let profile: Profile | undefined;
  if (profileName !== undefined) {
    profile = file.profiles[profileName];
    if (!profile && named !== undefined)
      throw new UsageError(
        `no profile "${named}" in ${file.path} (tern profiles list shows the saved ones)`,
      );
  }
  const flagUrl = text(flags.url);
  const envUrl = text(env.TERN_URL);
  const raw = flagUrl ?? envUrl ?? profile?.url;
  if (raw === undefined) throw new UsageError(NO_URL_HINT, false);
  const url = normaliseUrl(raw);
  const profileApplies = profile !== undefined && normaliseUrl(profile.url) === url;
  return {
    url,
    token:
      text(flags.token) ?? text(env.TERN_TOKEN) ?? (profileApplies ? profile?.token : undefined),
    sandbox:
      text(flags.sandbox) ??
      text(env.TERN_SANDBOX) ??
      (profileApplies ? profile?.sandbox : undefined),
    profile: profileApplies ? profileName : undefined,
    urlFrom: flagUrl !== undefined ? 'flag' : envUrl !== undefined ? 'env' : 'profile',
  };
}

/** `http(s)://host[:port][/prefix]`, without a trailing slash or `/api` (the client adds it). */
export function normaliseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`the Tern URL "${raw}" is not a URL (e.g. http://127.0.0.1:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`the Tern URL must start with http:// or https:// (got "${raw}")`);
  if (url.search || url.hash)
    throw new UsageError('the Tern URL takes no query or fragment (e.g. https://tern.example.com)');
  return `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/api$/, '')}`;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** A JSON body. */
  body?: unknown;
  /** A body sent as is, with its content type (a CSV import). */
  raw?: { contentType: string; data: Buffer };
  /** The version the change is based on, sent as If-Match. */
  ifMatch?: number;
}

export interface Answer<T> {
  status: number;
  body: T;
  etag: string | undefined;
}

/**
 * A request's longest wait: confirming a large campaign queues its first chunk in the request,
 * a CSV import reads the whole file; 2 minutes is well past either on a healthy server.
 */
const REQUEST_TIMEOUT_MS = 120_000;

/** Requests to one Tern's `/api`, with its token and sandbox. */
export class ApiClient {
  constructor(readonly target: Target) {}

  async request<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<Answer<T>> {
    const url = new URL(`${this.target.url}/api${path}`);
    for (const [key, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.target.token) headers.authorization = `Bearer ${this.target.token}`;
    if (this.target.sandbox) headers['x-sandbox-name'] = this.target.sandbox;
    if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
    let body: string | Buffer | undefined;
    if (options.raw) {
      headers['content-type'] = options.raw.contentType;
      body = options.raw.data;
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw this.connectionError(error);
    }
    const answer = await response.text();
    const parsed = parseJson(answer);
    if (!response.ok) throw this.apiError(response, parsed, answer);
    if (answer !== '' && parsed === undefined)
      throw new ApiError(
        response.status,
        'http_error',
        `${this.target.url} answered ${response.status} with something other than JSON (is TERN_URL the address of a Tern?)`,
      );
    return {
      status: response.status,
      body: parsed as T,
      etag: response.headers.get('etag') ?? undefined,
    };
  }

  get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('GET', path, { query }).then((a) => a.body);
  }

  post<T>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body: body ?? options.body }).then(
      (a) => a.body,
    );
  }

  patch<T>(path: string, body: unknown, ifMatch?: number): Promise<T> {
    return this.request<T>('PATCH', path, { body, ifMatch }).then((a) => a.body);
  }

  put<T>(path: string, body: unknown, ifMatch?: number): Promise<T> {
    return this.request<T>('PUT', path, { body, ifMatch }).then((a) => a.body);
  }

  async delete(path: string, options: RequestOptions = {}): Promise<unknown> {
    return (await this.request('DELETE', path, options)).body;
  }

  private apiError(response: Response, parsed: unknown, raw: string): ApiError {
    const error = (parsed as { error?: unknown } | undefined)?.error;
    if (typeof error === 'object' && error !== null) {
      const e = error as { code?: unknown; message?: unknown; details?: unknown };
      const details = Array.isArray(e.details)
        ? (e.details as ApiError['details']).filter(
            (d) => typeof d === 'object' && d !== null && typeof d.message === 'string',
          )
        : [];
      let message = typeof e.message === 'string' ? e.message : response.statusText;
      if (response.status === 401)
        message += this.target.token
          ? ' (check the token: --token, TERN_TOKEN or the profile)'
          : ' (no token given: pass --token, set TERN_TOKEN or save one in a profile)';
      return new ApiError(
        response.status,
        typeof e.code === 'string' ? e.code : 'http_error',
        message,
        details,
      );
    }
    // Not Tern's error shape: something else answers at that URL (a proxy, another service).
    return new ApiError(
      response.status,
      'http_error',
      `${this.target.url} answered ${response.status} ${response.statusText} without a Tern error${raw ? `: ${raw.slice(0, 200)}` : ''} (is TERN_URL the address of a Tern?)`,
    );
  }

  private connectionError(error: unknown): ConnectionError {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
    const code = typeof cause?.code === 'string' ? cause.code : undefined;
    const hint = `start it with "tern serve" there, or point --url / TERN_URL at a running Tern`;
    if (code === 'ECONNREFUSED')
      return new ConnectionError(
        `nothing is listening at ${this.target.url} (connection refused): ${hint}`,
      );
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return new ConnectionError(`cannot resolve the host of ${this.target.url}: ${hint}`);
    if ((error as { name?: unknown } | null)?.name === 'TimeoutError')
      return new ConnectionError(
        `${this.target.url} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`,
      );
    const reason =
      typeof cause?.message === 'string'
        ? cause.message
        : error instanceof Error
          ? error.message
          : String(error);
    return new ConnectionError(`cannot reach Tern at ${this.target.url}: ${reason}. ${hint}`);
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The client for the target the flags, environment and profiles name. */
export function apiClient(flags: TargetFlags): ApiClient {
  return new ApiClient(resolveTarget(flags));
}
