import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadEnv, parseConfig, type Config } from './config.js';
import { RESOURCE_OPTIONS, UsageError } from './cli/usage.js';
import { AppError } from './errors.js';
import { StartupError } from './startup-errors.js';
import { VERSION } from './version.js';

// Commands load what they need when they run (the server, the services, a database driver):
// loading all of it costs every start 1.3-1.9 s more, `tern --version` included.
type ResourceHandler =
  'credentialsCommand' | 'channelsCommand' | 'tokensCommand' | 'secretsCommand';

interface Command {
  summary: string;
  usage: string;
  options?: ParseArgsConfig['options'];
  /** Takes positional arguments (an action and an id). */
  positionals?: boolean;
  run(values: Record<string, unknown>, rest: string[]): Promise<void>;
}

/** `tern <resource> <action> [id] [--flags]`: the configuration plane from the command line. */
function resourceCommand(summary: string, usage: string, handler: ResourceHandler): Command {
  return {
    summary,
    usage,
    options: RESOURCE_OPTIONS,
    positionals: true,
    run: async (values, positionals) => {
      const resources = await import('./cli/resource-commands.js');
      await resources[handler](config(), positionals, values);
    },
  };
}

/** The issue 15 resources' commands, in their own modules (src/cli/*-commands.ts). */
const MARKETING_HANDLERS = {
  templatesCommand: async () => (await import('./cli/template-commands.js')).templatesCommand,
  segmentsCommand: async () => (await import('./cli/audience-commands.js')).segmentsCommand,
  listsCommand: async () => (await import('./cli/audience-commands.js')).listsCommand,
  campaignsCommand: async () => (await import('./cli/campaign-commands.js')).campaignsCommand,
  keywordResponsesCommand: async () =>
    (await import('./cli/keyword-commands.js')).keywordResponsesCommand,
  flowsCommand: async () => (await import('./cli/flow-commands.js')).flowsCommand,
} as const;

function marketingCommand(
  summary: string,
  usage: string,
  handler: keyof typeof MARKETING_HANDLERS,
): Command {
  return {
    summary,
    usage,
    options: RESOURCE_OPTIONS,
    positionals: true,
    run: async (values, positionals) => {
      const command = await MARKETING_HANDLERS[handler]();
      await command(config(), positionals, values);
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
    usage: 'tern migrate',
    run: async () => {
      const { CLI_BUSY_TIMEOUT_MS, openDatabase } = await import('./db/database.js');
      const { migrateToLatest } = await import('./db/migrate.js');
      const db = openDatabase(config().databaseUrl, { busyTimeoutMs: CLI_BUSY_TIMEOUT_MS });
      try {
        const applied = await migrateToLatest(db);
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
  credentials: resourceCommand(
    'Manage API credentials: list, show, create, update, delete, verify',
    'tern credentials list|show ID|create|update ID|delete ID|verify ID [--sandbox S] [--json] [--data JSON | --file F] [--if-match VERSION] [--force] [--name FILTER]',
    'credentialsCommand',
  ),
  channels: resourceCommand(
    'Manage channel configurations: list, show, create, update, delete',
    'tern channels list|show ID|create|update ID|delete ID [--sandbox S] [--json] [--data JSON | --file F] [--if-match VERSION]',
    'channelsCommand',
  ),
  tokens: resourceCommand(
    'Manage admin tokens: list, create, revoke',
    'tern tokens list | create --name NAME [--sandbox S] | revoke ID [--json]',
    'tokensCommand',
  ),
  secrets: resourceCommand(
    'Re-encrypt stored secrets under a new key',
    'tern secrets rotate [--new-key HEX] [--json]',
    'secretsCommand',
  ),
  templates: marketingCommand(
    'Manage message templates: list, get, create, update, delete, preview',
    'tern templates list|get ID [--template-version N]|create|update ID|delete ID|preview ID (--phones P,… | --profile-ids ID,… | --data JSON) [--template-version N] [--sandbox S] [--json] [--data JSON | --file F] [--if-match VERSION] [--name FILTER]',
    'templatesCommand',
  ),
  segments: marketingCommand(
    'Manage audience segments: list, get, create, update, delete, count, members',
    'tern segments list|get ID|create|update ID|delete ID|count (ID | --data \'{"rule": …}\')|members ID [--limit N] [--cursor C] [--sandbox S] [--json] [--data JSON | --file F] [--if-match VERSION] [--name FILTER]',
    'segmentsCommand',
  ),
  lists: marketingCommand(
    'Manage static lists: list, get, create, update, delete, members, add, remove, import',
    'tern lists list|get ID|create|update ID|delete ID|members ID [--limit N] [--cursor C]|add ID|remove ID (--phones P,… --profile-ids ID,… | --data JSON)|import ID --file members.csv [--sandbox S] [--json] [--if-match VERSION] [--name FILTER]',
    'listsCommand',
  ),
  campaigns: marketingCommand(
    'Manage campaigns: list, get, create, update, delete, estimate, test-send, confirm, pause, resume, cancel, results',
    'tern campaigns list [--status S]|get ID|create|update ID|delete ID|estimate ID|test-send ID [--phones P,…]|confirm ID [--template-version N]|pause ID|resume ID|cancel ID|results ID [--sandbox S] [--json] [--data JSON | --file F] [--if-match VERSION]',
    'campaignsCommand',
  ),
  'keyword-responses': marketingCommand(
    "Manage a credential's custom keyword replies and actions: list, get, set, delete",
    'tern keyword-responses list|get KEYWORD|set KEYWORD (--data JSON | --file F)|delete KEYWORD --credential ID [--sandbox S] [--json] [--if-match VERSION]',
    'keywordResponsesCommand',
  ),
  flows: marketingCommand(
    'Manage flows (keyword automations) and their runs: list, get, create, update, delete, validate, simulate, runs, run, cancel-run',
    'tern flows list [--status S] [--name N]|get ID|create|update ID [--if-match VERSION]|delete ID|validate|simulate ID|runs [FLOW_ID] [--phone P] [--status active|ended]|run RUN_ID|cancel-run RUN_ID [--data JSON | --file F | --file - (stdin)] [--limit N] [--cursor C] [--sandbox S] [--json]',
    'flowsCommand',
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
    '',
    'Configuration comes from environment variables (and .env): see .env.example.',
  ].join('\n');
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    console.log(help());
    return first === undefined ? 2 : 0;
  }
  if (first === '-v' || first === '--version') {
    console.log(VERSION);
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
      console.log(`Usage: ${command.usage}\n\n${command.summary}`);
      return 0;
    }
    await command.run(values, positionals);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    if (error instanceof AppError) {
      console.error(`tern ${first}: ${error.message}`);
      for (const detail of error.details)
        console.error(`  ${detail.path ?? ''} ${detail.message}`.trimEnd());
      return 1;
    }
    if (error instanceof StartupError) {
      console.error(`tern ${first}: ${error.message}`);
      debugStack(error);
      return 1;
    }
    if (error instanceof UsageError || isParseArgsError(error)) {
      console.error(`tern: ${(error as Error).message}`);
      if (command) console.error(`Usage: ${command.usage}`);
      return 2;
    }
    console.error(
      `tern ${first} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    debugStack(error);
    return 1;
  }
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
