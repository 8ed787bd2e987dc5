/**
 * What `main.ts` needs to parse a command line before it loads a command: kept apart from
 * the commands so that `tern --help`, `--version` and usage errors start in about 0.5 s
 * instead of the 1.8-2.4 s it takes to load the server or the services (measured with tsx).
 */

/** Raised for a wrong invocation: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export interface ResourceFlags {
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

export const RESOURCE_OPTIONS = {
  sandbox: { type: 'string' },
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
