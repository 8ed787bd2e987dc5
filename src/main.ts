import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadEnv, parseConfig, type Config } from './config.js';
import { printJson } from './cli/output.js';
import { RESOURCE_OPTIONS, TARGET_USAGE, UsageError } from './cli/usage.js';
import { AppError } from './errors.js';
import { StartupError } from './startup-errors.js';
import { VERSION } from './version.js';

// Commands load what they need when they run (the server, the services, a database driver):
// loading all of it costs every start 1.3-1.9 s more, `tern --version` included.

interface Command {
  summary: string;
  usage: string;
  options?: ParseArgsConfig['options'];
  /** Takes positional arguments (an action and an id). */
  positionals?: boolean;
  /** Resolves to the exit code (0 when nothing is returned). */
  run(values: Record<string, unknown>, rest: string[]): Promise<number | void>;
}

/** The resource commands, each in its module (src/cli/*-commands.ts), loaded when run. */
const API_HANDLERS = {
  credentials: async () => (await import('./cli/resource-commands.js')).credentialsCommand,
  channels: async () => (await import('./cli/resource-commands.js')).channelsCommand,
  tokens: async () => (await import('./cli/resource-commands.js')).tokensCommand,
  templates: async () => (await import('./cli/template-commands.js')).templatesCommand,
  segments: async () => (await import('./cli/audience-commands.js')).segmentsCommand,
  lists: async () => (await import('./cli/audience-commands.js')).listsCommand,
  campaigns: async () => (await import('./cli/campaign-commands.js')).campaignsCommand,
  keywordResponses: async () => (await import('./cli/keyword-commands.js')).keywordResponsesCommand,
  flows: async () => (await import('./cli/flow-commands.js')).flowsCommand,
  approvals: async () => (await import('./cli/approval-commands.js')).approvalsCommand,
} as const;

/**
 * `tern <resource> <action> [id] [--flags]`: the configuration plane of a running Tern, over its
 * HTTP API (--url / TERN_URL / a profile), from any directory; never the database.
 */
function apiCommand(summary: string, usage: string, handler: keyof typeof API_HANDLERS): Command {
  return {
    summary,
    usage: `${usage}\n       ${TARGET_USAGE}`,
    options: RESOURCE_OPTIONS,
    positionals: true,
    run: async (values, positionals) => {
      const { apiClient } = await import('./cli/api-client.js');
      const api = apiClient(values);
      return (await API_HANDLERS[handler]())(api, positionals, values);
    },
  };
}

function config(): Config {
  return parseConfig(loadEnv());
}

const commands: Record<string, Command> = {
  serve: {
    summary: 'Run the HTTP API (migrates the database first)',
    usage: 'tern serve [--port N] (default TERN_PORT, else 8080)',
    options: { port: { type: 'string' } },
    run: async (values) => {
      // --port is TERN_PORT for this run: validated and used (the public URL too) the same way.
      const env = { ...loadEnv() };
      if (typeof values.port === 'string') env.TERN_PORT = values.port;
      await (await import('./server.js')).serveUntilSignalled(parseConfig(env));
    },
  },
  worker: {
    summary: 'Run the send worker alone (no HTTP); several may run on PostgreSQL',
    usage: 'tern worker',
    run: async () => (await import('./server.js')).runWorkerUntilSignalled(config()),
  },
  migrate: {
    summary: 'Apply pending database migrations and exit',
    usage: "tern migrate [--json] (on the server's machine: its DATABASE_URL / data directory)",
    options: { json: { type: 'boolean' } },
    run: async (values) => {
      const { CLI_BUSY_TIMEOUT_MS, openDatabase } = await import('./db/database.js');
      const { migrateToLatest } = await import('./db/migrate.js');
      const db = openDatabase(config().databaseUrl, { busyTimeoutMs: CLI_BUSY_TIMEOUT_MS });
      try {
        const applied = await migrateToLatest(db);
        if (values.json === true) return printJson({ applied });
        console.log(
          applied.length > 0
            ? `Applied ${applied.length} migration(s): ${applied.join(', ')}`
            : 'Database is up to date.',
        );
      } finally {
        await db.close();
      }
    },
  },
  credentials: apiCommand(
    'Manage API credentials: list, show, create, update, delete, verify',
    'tern credentials list|show ID|create|update ID|delete ID|verify ID [--data JSON | --file F] [--if-match VERSION] [--force] [--name FILTER]',
    'credentials',
  ),
  channels: apiCommand(
    'Manage channel configurations: list, show, create, update, delete',
    'tern channels list|show ID|create|update ID|delete ID [--data JSON | --file F] [--if-match VERSION]',
    'channels',
  ),
  tokens: apiCommand(
    'Manage admin tokens: list, create, revoke',
    "tern tokens list | create --name NAME [--sandbox S: the token's; none: every sandbox] | revoke ID",
    'tokens',
  ),
  users: {
    summary:
      'Console users, on the database directly (recovery): create, reset-password, list, disable',
    usage:
      "tern users create --email E [--name N] [--admin] [--sandbox S --role R ...] [--password-stdin] | reset-password --email E --password-stdin | list | disable --email E [--json] (on the server's machine: its DATABASE_URL)",
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      admin: { type: 'boolean' },
      sandbox: { type: 'string' },
      role: { type: 'string', multiple: true },
      'password-stdin': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    positionals: true,
    run: async (values, positionals) =>
      (await import('./cli/users-command.js')).usersCommand(config(), positionals, values),
  },
  secrets: {
    summary: 'Re-encrypt stored secrets under a new key (on the database directly)',
    usage:
      "tern secrets rotate [--new-key HEX] [--json] (on the server's machine: its DATABASE_URL and key)",
    options: { 'new-key': { type: 'string' }, json: { type: 'boolean' } },
    positionals: true,
    run: async (values, positionals) =>
      (await import('./cli/secrets-command.js')).secretsCommand(config(), positionals, values),
  },
  profiles: {
    summary: 'Save the Tern URLs and tokens the other commands use: set, list, remove',
    usage:
      'tern profiles set NAME --url URL [--token TOKEN] [--sandbox S] [--default] | list | remove NAME [--json]',
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      sandbox: { type: 'string' },
      default: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    positionals: true,
    run: async (values, positionals) =>
      (await import('./cli/profiles.js')).profilesCommand(positionals, values),
  },
  templates: apiCommand(
    'Manage message templates: list, get, create, update, delete, preview',
    'tern templates list|get ID [--template-version N]|create|update ID|delete ID|preview ID (--phones P,… | --profile-ids ID,… | --data JSON) [--template-version N] [--data JSON | --file F] [--if-match VERSION] [--name FILTER]',
    'templates',
  ),
  segments: apiCommand(
    'Manage audience segments: list, get, create, update, delete, count, members',
    'tern segments list|get ID|create|update ID|delete ID|count (ID | --data \'{"rule": …}\')|members ID [--limit N] [--cursor C] [--data JSON | --file F] [--if-match VERSION] [--name FILTER]',
    'segments',
  ),
  lists: apiCommand(
    'Manage static lists: list, get, create, update, delete, members, add, remove, import',
    'tern lists list|get ID|create|update ID|delete ID|members ID [--limit N] [--cursor C]|add ID|remove ID (--phones P,… --profile-ids ID,… | --data JSON)|import ID --file members.csv [--if-match VERSION] [--name FILTER]',
    'lists',
  ),
  campaigns: apiCommand(
    'Manage campaigns: list, get, create, update, delete, estimate, test-send, confirm, pause, resume, cancel, results',
    'tern campaigns list [--status S]|get ID|create|update ID|delete ID|estimate ID|test-send ID [--phones P,…]|confirm ID [--template-version N]|pause ID|resume ID|cancel ID|results ID [--data JSON | --file F] [--if-match VERSION]',
    'campaigns',
  ),
  'keyword-responses': apiCommand(
    "Manage a credential's custom keyword replies and actions: list, get, set, delete",
    'tern keyword-responses list|get KEYWORD|set KEYWORD (--data JSON | --file F)|delete KEYWORD --credential ID [--if-match VERSION]',
    'keywordResponses',
  ),
  flows: apiCommand(
    'Manage flows (keyword automations) and their runs: list, get, create, update, delete, validate, simulate, runs, run, cancel-run',
    'tern flows list [--status S] [--name N]|get ID|create|update ID [--if-match VERSION]|delete ID|validate|simulate ID|runs [FLOW_ID] [--phone P] [--status active|ended]|run RUN_ID|cancel-run RUN_ID [--data JSON | --file F | --file - (stdin)] [--limit N] [--cursor C]',
    'flows',
  ),
  approvals: apiCommand(
    'See changes waiting for a second person, and withdraw your own: list, get, cancel (approving is done signed in, in the console)',
    'tern approvals list [--status pending|approved|rejected|cancelled|failed] [--limit N] [--cursor C]|get ID|cancel ID',
    'approvals',
  ),
  prune: {
    summary: 'Run one retention pass now (what TERN_RETENTION_DAYS prunes hourly)',
    usage: 'tern prune [--json]',
    options: { json: { type: 'boolean' } },
    run: async (values) =>
      (await import('./retention/prune-command.js')).pruneCommand(config(), {
        json: values.json === true,
      }),
  },
  demo: {
    summary: 'Run Tern with the Infobip simulator, configured, and print the console URL',
    usage: 'tern demo [--port 8080] [--simulator-port 9090] [--data-dir ./data/demo]',
    options: {
      port: { type: 'string' },
      'simulator-port': { type: 'string' },
      'data-dir': { type: 'string' },
    },
    run: async (values) => {
      const port = (name: string, fallback: number): number => {
        const raw = values[name];
        if (raw === undefined) return fallback;
        if (typeof raw !== 'string' || !/^\d{1,5}$/.test(raw) || Number(raw) > 65535)
          throw new UsageError(`--${name} must be a port number (0 picks a free one)`);
        return Number(raw);
      };
      const { runDemoUntilSignalled } = await import('./demo.js');
      const env = loadEnv();
      await runDemoUntilSignalled({
        port: port('port', Number(env.TERN_PORT ?? 8080)),
        simulatorPort: port('simulator-port', 9090),
        ...(typeof values['data-dir'] === 'string' ? { dataDir: values['data-dir'] } : {}),
        env,
      });
    },
  },
  simulator: {
    summary: 'Run the Infobip-compatible simulator (see simulator/README.md)',
    usage: 'tern simulator [--port 9090] [--api-key KEY] … (tern simulator --help)',
    run: async (_values, rest) => {
      const { simulatorCommand } = await import('../simulator/src/cli.js');
      await simulatorCommand(rest);
    },
  },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    `tern ${VERSION} — self-hostable SMS/MMS channel service`,
    '',
    'Usage: tern <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     Show help (also: tern <command> --help)',
    '  -v, --version  Show the version',
    '  --json         Machine-readable output on stdout, errors as JSON on stderr',
    '',
    'The resource commands (credentials … flows) talk to a running Tern over its API, from any',
    'directory: --url / TERN_URL, --token / TERN_TOKEN, --sandbox / TERN_SANDBOX, or a profile',
    '(tern profiles set NAME --url URL --token TOKEN --default; --profile / TERN_PROFILE picks one).',
    'migrate, secrets rotate and prune open the database itself: run them on the server, with its',
    'environment (DATABASE_URL, the key). serve, worker and demo read the environment (and .env):',
    'see .env.example.',
  ].join('\n');
}

/** `tern help --json`: the commands and their usage, for tools that complete or document them. */
function helpJson() {
  return {
    version: VERSION,
    commands: Object.entries(commands).map(([name, c]) => ({
      name,
      summary: c.summary,
      usage: c.usage,
    })),
  };
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  // Errors are JSON too when it was asked for, even those found before the flags are parsed.
  const json = argv.includes('--json');
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    if (json) printJson(helpJson());
    else console.log(help());
    return first === undefined ? 2 : 0;
  }
  if (first === '-v' || first === '--version') {
    if (json) printJson({ version: VERSION });
    else console.log(VERSION);
    return 0;
  }
  const command = commands[first];
  try {
    if (!command)
      throw new UsageError(`Unknown command "${first}". Run "tern --help" for the list.`);
    if (first === 'simulator') {
      // The simulator parses its own flags.
      await command.run({}, rest);
      return 0;
    }
    const { values, positionals } = parseArgs({
      args: rest,
      options: { help: { type: 'boolean', short: 'h' }, ...command.options },
      strict: true,
      allowPositionals: command.positionals === true,
    });
    if (values.help) {
      if (json) printJson({ name: first, summary: command.summary, usage: command.usage });
      else console.log(`Usage: ${command.usage}\n\n${command.summary}`);
      return 0;
    }
    return (await command.run(values, positionals)) ?? 0;
  } catch (error) {
    return reportError(error, first, command, json);
  }
}

interface Failure {
  code: string;
  /** Printed after `prefix` for people (`tern credentials: `), alone in JSON. */
  prefix?: string;
  message: string;
  details: { path?: string; message: string; [key: string]: unknown }[];
  exitCode: number;
  /** Printed after the message for people (the usage, a stack at LOG_LEVEL=debug). */
  usage?: string;
  stack?: boolean;
}

/** What went wrong, printed as one line (and each field's problem) or as JSON; the exit code. */
function reportError(
  error: unknown,
  name: string,
  command: Command | undefined,
  json: boolean,
): number {
  const failure = describe(error, name, command);
  if (json) {
    const { code, message, details } = failure;
    console.error(
      JSON.stringify({
        error: { code, message, details, ...(failure.usage ? { usage: failure.usage } : {}) },
      }),
    );
  } else {
    console.error(`${failure.prefix ?? ''}${failure.message}`);
    for (const { path, message, ...more } of failure.details) {
      // What else the API says of the field (allowedValues, allowedRoles, yourRoles…).
      const extra = Object.entries(more)
        .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : JSON.stringify(v)}`)
        .join('; ');
      console.error(`  ${path ?? ''} ${message}${extra ? ` (${extra})` : ''}`.trimEnd());
    }
    if (failure.usage) console.error(`Usage: ${failure.usage}`);
  }
  if (failure.stack) debugStack(error);
  return failure.exitCode;
}

function describe(error: unknown, name: string, command: Command | undefined): Failure {
  if (error instanceof ConfigError)
    return { code: 'invalid_configuration', message: error.message, details: [], exitCode: 1 };
  // An answer of the API (ApiError) or a refusal found here (AppError): message and fields.
  if (error instanceof AppError || (error instanceof Error && error.name === 'ApiError')) {
    const e = error as AppError;
    return {
      code: e.code,
      prefix: `tern ${name}: `,
      message: e.message,
      details: e.details,
      exitCode: 1,
    };
  }
  if (error instanceof Error && error.name === 'ConnectionError')
    return {
      code: 'connection_failed',
      prefix: `tern ${name}: `,
      message: error.message,
      details: [],
      exitCode: 1,
    };
  if (error instanceof StartupError)
    return {
      code: 'startup_failed',
      prefix: `tern ${name}: `,
      message: error.message,
      details: [],
      exitCode: 1,
      stack: true,
    };
  if (error instanceof UsageError || isParseArgsError(error))
    return {
      code: 'usage',
      prefix: 'tern: ',
      message: (error as Error).message,
      details: [],
      exitCode: 2,
      ...(command && !(error instanceof UsageError && !error.showUsage)
        ? { usage: command.usage }
        : {}),
    };
  return {
    code: 'failed',
    prefix: `tern ${name} failed: `,
    message: error instanceof Error ? error.message : String(error),
    details: [],
    exitCode: 1,
    stack: true,
  };
}

/** The stack (and its cause's) for whoever asked for it with LOG_LEVEL=debug; one line otherwise. */
function debugStack(error: unknown): void {
  if (process.env.LOG_LEVEL !== 'debug' && process.env.LOG_LEVEL !== 'trace') return;
  if (error instanceof Error && error.stack) console.error(error.stack);
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof Error && cause.stack) console.error(`Caused by: ${cause.stack}`);
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
