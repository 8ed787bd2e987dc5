import { hkdfSync } from 'node:crypto';
import * as client from 'openid-client';
import type { Clock } from '../clock.js';
import type { OidcConfig } from '../config.js';
import { Keyring, secretKey } from '../crypto/secret-box.js';
import type { Db } from '../db/database.js';
import type { UsersTable } from '../db/schema.js';
import { findUserByEmail, findUserByOidc, linkOidcIdentity } from './users.js';

/**
 * Single sign-on through an OpenID Connect provider (openid-client): the authorization code
 * flow with PKCE, state and nonce. Who may sign in is decided here; the HTTP routes
 * (src/http/routes/oidc.ts) only move cookies and redirects.
 *
 * The pending login (state, nonce, PKCE verifier, where to return) travels in a cookie sealed
 * with AES-256-GCM under a key of its own, derived by HKDF from the secret key, rather than in
 * a database row: it is bound to the browser that started the login (a callback carried to
 * another browser finds no cookie: no login CSRF), it needs no table, no migration and no sweep
 * of abandoned logins, and its expiry is inside the sealed value, so an old cookie replayed
 * after its Max-Age is refused all the same.
 */

/** How long a sign-in at the provider may take, from the start to the callback. */
export const PENDING_LOGIN_TTL_MS = 10 * 60 * 1000;
/** The provider's answers (discovery, token, user info) wait this long at most: a person waits. */
const PROVIDER_TIMEOUT_S = 10;
/** Return paths longer than this are dropped for `/`: the console's own paths are short. */
const RETURN_PATH_MAX = 512;
/** Sealed pending logins are ~300 characters; anything much longer is not worth decrypting. */
const SEALED_MAX = 2048;

/** Why a sign-in was refused: each reaches the sign-in page as a sentence. */
export type OidcRefusalCode =
  | 'not_configured'
  | 'provider_unavailable'
  | 'login_expired'
  | 'state_mismatch'
  | 'provider_error'
  | 'token_invalid'
  | 'email_missing'
  | 'email_not_verified'
  | 'not_invited'
  | 'disabled'
  | 'linked_elsewhere';

/** A sign-in that did not go through, with a message fit for the person who tried. */
export class OidcRefusal extends Error {
  constructor(
    readonly code: OidcRefusalCode,
    message: string,
    /** The library's error behind it, for the operator's log (never shown to the person). */
    readonly reason?: Error,
  ) {
    super(message);
    this.name = 'OidcRefusal';
  }
}

/** What the start of a sign-in leaves in the browser, sealed. */
interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  /** Milliseconds since the epoch, by the injected clock. */
  expiresAt: number;
}

export interface OidcDeps {
  config: OidcConfig;
  db: Db;
  clock: Clock;
  keyring: Keyring;
}

/** The one place that talks to the provider and decides who may sign in through it. */
export class OidcSignIn {
  private configuration: Promise<client.Configuration> | undefined;
  private readonly sealer: Keyring;

  constructor(private readonly deps: OidcDeps) {
    // Derived from every key of the keyring: a login started before a key rotation still ends.
    const [current, ...others] = [deps.keyring.current, ...deps.keyring.keys()].map((k) =>
      secretKey(pendingLoginKey(k.key)),
    );
    this.sealer = new Keyring(current!, others);
  }

  /** Where the provider sends the browser back (registered at the provider). */
  get redirectUri(): string {
    return this.deps.config.redirectUri;
  }

  /** The provider's URL to send the browser to, and the sealed pending login for its cookie. */
  async start(returnTo: string | undefined): Promise<{ url: string; sealed: string }> {
    const configuration = await this.discovered();
    const pending: PendingLogin = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      returnTo: safeReturnPath(returnTo),
      expiresAt: this.deps.clock.now().getTime() + PENDING_LOGIN_TTL_MS,
    };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.deps.config.redirectUri,
      scope: 'openid email profile',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, sealed: this.sealer.encrypt(JSON.stringify(pending)) };
  }

  /**
   * Ends a sign-in: checks the provider's answer against the pending login (state, nonce, PKCE),
   * exchanges the code, and finds the Tern user the identity belongs to (linking it on an
   * invited user's first sign-in). Throws OidcRefusal for every way it can fail.
   */
  async finish(
    callbackUrl: URL,
    sealed: string | undefined,
  ): Promise<{ user: UsersTable; returnTo: string }> {
    const pending = this.unseal(sealed);
    const configuration = await this.discovered();
    // The provider's own refusal (the person cancelled, or is not allowed the client).
    const error = callbackUrl.searchParams.get('error');
    if (error !== null) {
      const description = callbackUrl.searchParams.get('error_description');
      throw new OidcRefusal(
        'provider_error',
        `The sign-in provider refused: ${(description ?? error).slice(0, 200)}.`,
      );
    }
    if (callbackUrl.searchParams.get('state') !== pending.state) {
      throw new OidcRefusal(
        'state_mismatch',
        'This sign-in answer does not belong to the sign-in this browser started: start again.',
      );
    }
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (cause) {
      throw refusalOf(cause, 'token_invalid');
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcRefusal('token_invalid', 'The provider sent no ID token.');
    const identity = { issuer: claims.iss, subject: claims.sub };

    const linked = await findUserByOidc(this.deps.db.kysely, identity.issuer, identity.subject);
    if (linked) return { user: usable(linked), returnTo: pending.returnTo };

    // Providers that follow the specification to the letter put email in the user info only.
    let email = claims.email;
    let verified = claims.email_verified;
    if (typeof email !== 'string') {
      try {
        const info = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
        email = info.email;
        verified = info.email_verified;
      } catch (cause) {
        throw refusalOf(cause, 'provider_error');
      }
    }
    if (typeof email !== 'string' || email === '') {
      throw new OidcRefusal(
        'email_missing',
        'The provider did not say your email address: Tern needs it to find your invitation.',
      );
    }
    // Some providers (Cognito) send the boolean as a string.
    if (verified !== true && verified !== 'true') {
      throw new OidcRefusal(
        'email_not_verified',
        `The provider has not verified ${email.slice(0, 254)}: verify it there, then sign in again.`,
      );
    }
    const invited = await findUserByEmail(this.deps.db.kysely, email);
    if (!invited) {
      throw new OidcRefusal(
        'not_invited',
        `Not invited: ask an owner to invite ${email.slice(0, 254).toLowerCase()}.`,
      );
    }
    usable(invited);
    if (invited.oidc_subject !== null) {
      // Someone else's identity already signs in as this user: an email alone must not move it.
      throw new OidcRefusal(
        'linked_elsewhere',
        `${invited.email} already signs in through another single-sign-on identity: ask an owner.`,
      );
    }
    await linkOidcIdentity(this.deps.db.kysely, this.deps.clock, invited.id, identity);
    return {
      user: { ...invited, oidc_issuer: identity.issuer, oidc_subject: identity.subject },
      returnTo: pending.returnTo,
    };
  }

  /** Discovery on first use, not at start-up (Tern starts while the provider is down); a failure is not kept, so the next sign-in tries again. */
  private discovered(): Promise<client.Configuration> {
    this.configuration ??= this.discover().catch((cause: unknown) => {
      this.configuration = undefined;
      throw refusalOf(cause, 'provider_unavailable');
    });
    return this.configuration;
  }

  private async discover(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret } = this.deps.config;
    const insecure = new URL(issuer).protocol === 'http:';
    return client.discovery(
      new URL(issuer),
      clientId,
      { client_secret: clientSecret },
      client.ClientSecretBasic(clientSecret),
      {
        timeout: PROVIDER_TIMEOUT_S,
        // config.ts accepts http issuers on loopback only (a provider beside Tern, or a test).
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      },
    );
  }

  private unseal(sealed: string | undefined): PendingLogin {
    const expired = new OidcRefusal(
      'login_expired',
      'This sign-in was not started in this browser, or took longer than 10 minutes: start again.',
    );
    if (sealed === undefined || sealed.length > SEALED_MAX) throw expired;
    let pending: PendingLogin;
    try {
      pending = JSON.parse(this.sealer.decrypt(sealed)) as PendingLogin;
    } catch {
      throw expired;
    }
    if (!(pending.expiresAt > this.deps.clock.now().getTime())) throw expired;
    return pending;
  }
}

/** The cookie key for pending logins: HKDF with an `info` of its own, never the key itself. */
function pendingLoginKey(key: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'tern oidc pending login v1', 32));
}

function usable(user: UsersTable): UsersTable {
  if (user.disabled_at !== null) {
    throw new OidcRefusal('disabled', 'This account is disabled: ask an administrator.');
  }
  return user;
}

/**
 * A path of the console to return to: same-origin only (`/x`, never `//host` or `/\host`, which
 * browsers read as another host), else `/`.
 */
export function safeReturnPath(value: string | undefined): string {
  if (value === undefined || value.length > RETURN_PATH_MAX) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return '/';
  // No control characters (a header split) and nothing the console does not route.
  if (!/^\/[A-Za-z0-9\-._~/?&=%]*$/.test(value)) return '/';
  return value;
}

/**
 * openid-client's errors as a refusal: a network failure says the provider is unreachable; its
 * checks (issuer, audience, signature, nonce) say the answer was not valid. Messages come from
 * the library, never a stack; they name no secret (the client secret is sent, not echoed).
 */
function refusalOf(cause: unknown, fallback: OidcRefusalCode): OidcRefusal {
  if (cause instanceof OidcRefusal) return cause;
  const error = cause instanceof Error ? cause : new Error(String(cause));
  const unreachable =
    error.name === 'TypeError' || // fetch: connection refused, DNS
    error.name === 'TimeoutError' ||
    error.name === 'AbortError' ||
    (error instanceof client.ClientError && error.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM');
  if (fallback === 'provider_unavailable' || unreachable) {
    return new OidcRefusal(
      'provider_unavailable',
      'The sign-in provider cannot be reached right now: try again in a minute, or sign in with your password.',
      error,
    );
  }
  if (error instanceof client.ResponseBodyError) {
    return new OidcRefusal(
      'provider_error',
      `The sign-in provider refused: ${(error.error_description ?? error.error).slice(0, 200)}.`,
      error,
    );
  }
  return new OidcRefusal(
    fallback,
    `The sign-in provider's answer could not be checked (${error.message.slice(0, 200)}): start again.`,
    error,
  );
}
