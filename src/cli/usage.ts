/**
 * What `main.ts` needs to parse a command line before it loads a command: kept apart from
 * the commands so that `tern --help`, `--version` and usage errors start in about 0.5 s
 * instead of the 1.8-2.4 s it takes to load the server or the services (measured with tsx).
 */

/** Raised for a wrong invocation: printed with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** False when the message says all there is to do (the usage line would only bury it). */
    readonly showUsage = true,
  ) {
    super(message);
  }
}

export interface ResourceFlags {
  /** The Tern to talk to (else TERN_URL, else the profile's). */
  url?: string;
  /** Its admin token (else TERN_TOKEN, else the profile's). */
  token?: string;
  /** The saved profile to use (else TERN_PROFILE, else the default one). */
  profile?: string;
  sandbox?: string;
  json?: boolean;
  data?: string;
  file?: string;
  force?: boolean;
  name?: string;
  'if-match'?: string;
  'new-key'?: string;
  /** Comma-separated phones / profile ids (list members, previews, test sends). */
  phones?: string;
  'profile-ids'?: string;
  status?: string;
  limit?: string;
  cursor?: string;
  'template-version'?: string;
  /** The credential whose keyword responses a command reads or changes. */
  credential?: string;
  /** One phone number (a person's flow runs). */
  phone?: string;
}

/** How a command that talks to a running Tern finds it: flags > environment > profile. */
export const TARGET_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  profile: { type: 'string' },
  sandbox: { type: 'string' },
} as const;

/** The line every API command's usage ends with. */
export const TARGET_USAGE = '[--url URL] [--token TOKEN] [--profile NAME] [--sandbox S] [--json]';

export const RESOURCE_OPTIONS = {
  ...TARGET_OPTIONS,
  json: { type: 'boolean' },
  data: { type: 'string' },
  file: { type: 'string' },
  force: { type: 'boolean' },
  name: { type: 'string' },
  'if-match': { type: 'string' },
  'new-key': { type: 'string' },
  phones: { type: 'string' },
  'profile-ids': { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  'template-version': { type: 'string' },
  credential: { type: 'string' },
  phone: { type: 'string' },
} as const;
