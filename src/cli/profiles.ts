/**
 * Saved targets for the CLI, as other CLIs keep them: one JSON file,
 * `${XDG_CONFIG_HOME:-~/.config}/tern/profiles.json` (or TERN_PROFILES_FILE), readable by its
 * owner only because it holds admin tokens.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadEnv } from '../config.js';
import { printJson, printTable } from './output.js';
import { UsageError } from './usage.js';

export interface Profile {
  url: string;
  token?: string;
  sandbox?: string;
}

export interface ProfilesFile {
  path: string;
  default: string | null;
  profiles: Record<string, Profile>;
}

/** Names people type after --profile: letters, digits, `.`, `_`, `-`, at most 64. */
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function profilesPath(env: NodeJS.ProcessEnv = loadEnv()): string {
  const override = env.TERN_PROFILES_FILE?.trim();
  if (override) return override;
  const base = env.XDG_CONFIG_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.config');
  return join(base, 'tern', 'profiles.json');
}

/** The saved profiles; an absent file is none saved. A broken one is an error naming it. */
export function readProfiles(env: NodeJS.ProcessEnv = loadEnv()): ProfilesFile {
  const path = profilesPath(env);
  if (!existsSync(path)) return { path, default: null, profiles: {} };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `the profiles file ${path} is not JSON (${error instanceof Error ? error.message : String(error)}): fix or remove it`,
    );
  }
  const file = value as { default?: unknown; profiles?: unknown } | null;
  const profiles: Record<string, Profile> = {};
  if (typeof file?.profiles === 'object' && file.profiles !== null)
    for (const [name, raw] of Object.entries(file.profiles as Record<string, unknown>)) {
      const p = raw as { url?: unknown; token?: unknown; sandbox?: unknown } | null;
      if (typeof p?.url !== 'string') continue;
      profiles[name] = {
        url: p.url,
        ...(typeof p.token === 'string' ? { token: p.token } : {}),
        ...(typeof p.sandbox === 'string' ? { sandbox: p.sandbox } : {}),
      };
    }
  const def = typeof file?.default === 'string' && file.default in profiles ? file.default : null;
  return { path, default: def, profiles };
}

/** Writes the file (and its folder) for the owner only, replacing it whole. */
export function writeProfiles(file: ProfilesFile): void {
  mkdirSync(dirname(file.path), { recursive: true, mode: 0o700 });
  const temporary = `${file.path}.${process.pid}.tmp`;
  writeFileSync(
    temporary,
    `${JSON.stringify({ default: file.default, profiles: file.profiles }, null, 2)}\n`,
    { mode: 0o600 },
  );
  // The mode given to writeFileSync is masked by the umask; the file must be 0600 whatever it is.
  chmodSync(temporary, 0o600);
  renameSync(temporary, file.path);
}

/** A token as the console shows API keys: its start and last four characters, never the whole. */
export function tokenHint(token: string | undefined): string {
  if (!token) return '';
  const prefix = token.startsWith('tern_') ? 'tern_' : '';
  return token.length >= 12 ? `${prefix}••••${token.slice(-4)}` : '••••';
}

export interface ProfileFlags {
  url?: string;
  token?: string;
  sandbox?: string;
  default?: boolean;
  json?: boolean;
}

/** `tern profiles set NAME --url U [--token T] [--sandbox S] [--default] | list | remove NAME` */
export function profilesCommand([verb, name]: string[], flags: ProfileFlags): void {
  const file = readProfiles();
  const needName = (): string => {
    if (!name) throw new UsageError('give the profile name, e.g. tern profiles set prod --url …');
    if (!PROFILE_NAME.test(name))
      throw new UsageError(
        'a profile name is letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit)',
      );
    return name;
  };
  switch (verb) {
    case 'set': {
      const profileName = needName();
      const before = file.profiles[profileName];
      const url = flags.url?.trim() || before?.url;
      if (!url) throw new UsageError('give the URL of the Tern: --url https://tern.example.com');
      normaliseForProfile(url);
      const token = flags.token?.trim() || before?.token;
      const sandbox = flags.sandbox?.trim() || before?.sandbox;
      file.profiles[profileName] = {
        url,
        ...(token ? { token } : {}),
        ...(sandbox ? { sandbox } : {}),
      };
      if (flags.default === true || file.default === null) file.default = profileName;
      writeProfiles(file);
      const saved = summary(file, profileName);
      if (flags.json) return printJson({ path: file.path, profile: saved });
      console.log(
        `Saved profile ${profileName} (${url}${sandbox ? `, sandbox ${sandbox}` : ''}${token ? `, token ${tokenHint(token)}` : ', no token'}) in ${file.path}${file.default === profileName ? '; it is the default' : ''}.`,
      );
      return;
    }
    case 'list': {
      const rows = Object.keys(file.profiles)
        .sort()
        .map((n) => summary(file, n));
      if (flags.json) return printJson({ path: file.path, default: file.default, items: rows });
      printTable(
        rows.map((r) => ({ ...r, default: r.default ? '*' : '' })),
        ['name', 'default', 'url', 'sandbox', 'token'],
      );
      return;
    }
    case 'remove': {
      const profileName = needName();
      if (!(profileName in file.profiles))
        throw new UsageError(`no profile "${profileName}" in ${file.path}`);
      delete file.profiles[profileName];
      if (file.default === profileName) file.default = null;
      writeProfiles(file);
      if (flags.json) return printJson({ removed: profileName, path: file.path });
      console.log(`Removed profile ${profileName} from ${file.path}.`);
      return;
    }
    default:
      throw new UsageError(`unknown action "${verb ?? ''}": use set, list or remove`);
  }
}

function summary(file: ProfilesFile, name: string) {
  const p = file.profiles[name];
  return {
    name,
    default: file.default === name,
    url: p?.url ?? '',
    sandbox: p?.sandbox ?? null,
    token: p?.token ? tokenHint(p.token) : null,
  };
}

function normaliseForProfile(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url "${url}" is not a URL (e.g. http://127.0.0.1:8080)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError('--url must start with http:// or https://');
}
