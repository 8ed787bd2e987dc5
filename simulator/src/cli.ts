/**
 * `tern simulator`: runs the Infobip-compatible simulator until SIGTERM/SIGINT.
 * Flags win over environment variables (TERN_SIM_*), which win over defaults.
 */
import { parseArgs } from 'node:util';
import { createSimulator } from './index.js';
import {
  DEFAULT_API_KEY,
  DEFAULT_LOGS_LAG_MS,
  LOGS_RATE_LIMIT,
  type ApiKeySpec,
  type SimulatorOptions,
} from './options.js';
import { ALL_SCOPES, checkScopes, type Scope } from './scopes.js';
import { CONTROL_PREFIX } from './control.js';

const HELP = `Usage: tern simulator [options]

Runs a local Infobip-compatible API (SMS v2/v3, MMS v2, reports, inbound, faults).

Options:
  --port N                    Port to listen on (env TERN_SIM_PORT, default 9090)
  --host HOST                 Interface (env TERN_SIM_HOST, default 127.0.0.1)
  --api-key KEY[=SCOPES]      Accepted API key, repeatable (env TERN_SIM_API_KEY, comma-separated
                              plain keys; default ${DEFAULT_API_KEY}). A plain key holds the sending
                              scopes (no account-management:manage); SCOPES is a comma-separated
                              list, or "all"
  --logs-lag-ms N             How long a message takes to appear in the logs
                              (env TERN_SIM_LOGS_LAG_MS, default ${DEFAULT_LOGS_LAG_MS})
  --logs-per-minute N         Logs requests a minute per key and endpoint, 0 = unlimited
                              (env TERN_SIM_LOGS_PER_MINUTE, default ${LOGS_RATE_LIMIT.requests})
  --duplicate-message-ids P   reject (status 23) or accept (env TERN_SIM_DUPLICATE_MESSAGE_IDS,
                              default reject)
  --report-batch-size N       Reports per webhook POST, 1..2000 (env TERN_SIM_REPORT_BATCH_SIZE,
                              default 100)
  --mms-inbound-number N=URL  Forward MMS to number N to URL (MO_MMS_2), repeatable
  --dlr-delay-ms N            Delay before delivery reports (env TERN_SIM_DLR_DELAY_MS, default 1000)
  --time-factor F             Scale of the minute-based retry schedule and validity
                              (env TERN_SIM_TIME_FACTOR, default 1)
  --inbound-number N=URL      Forward texts to number N to URL (MO_JSON_2), repeatable
                              (env TERN_SIM_INBOUND_NUMBERS, comma-separated N=URL pairs)
  --report-url URL            Subscription webhook for reports of messages without one
                              (env TERN_SIM_REPORT_URL)
  --no-default-rules          Deliver everything (disable the number-suffix outcome rules)
  --log                       Log every request (off by default for speed)
  -h, --help                  Show this help
`;

function number(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`${name} must be a non-negative number, got "${text}"`);
  return n;
}

function inboundPairs(values: string[]): Record<string, string> {
  const numbers: Record<string, string> = {};
  for (const pair of values) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) {
      throw new Error(`--inbound-number expects NUMBER=FORWARD_URL, got "${pair}"`);
    }
    const url = pair.slice(eq + 1);
    try {
      new URL(url);
    } catch {
      throw new Error(`--inbound-number: "${url}" is not a URL`);
    }
    numbers[pair.slice(0, eq)] = url;
  }
  return numbers;
}

/** `KEY` (sending scopes) or `KEY=scope,scope` or `KEY=all`. */
function apiKeyOf(text: string): string | ApiKeySpec {
  const eq = text.indexOf('=');
  if (eq < 0) return text;
  const key = text.slice(0, eq);
  const list = text.slice(eq + 1);
  if (key === '') throw new Error(`--api-key expects KEY or KEY=SCOPES, got "${text}"`);
  if (list === 'all') return { key, scopes: [...ALL_SCOPES] };
  const scopes = splitList(list);
  const problems = checkScopes(scopes, `--api-key ${key}`);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return { key, scopes: scopes as Scope[] };
}

function splitList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Parses flags and environment into simulator options plus where to listen. */
export function parseSimulatorArgs(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { help: boolean; port: number; host: string; options: SimulatorOptions } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'api-key': { type: 'string', multiple: true },
        'logs-lag-ms': { type: 'string' },
        'logs-per-minute': { type: 'string' },
        'duplicate-message-ids': { type: 'string' },
        'report-batch-size': { type: 'string' },
        'mms-inbound-number': { type: 'string', multiple: true },
        'dlr-delay-ms': { type: 'string' },
        'time-factor': { type: 'string' },
        'inbound-number': { type: 'string', multiple: true },
        'report-url': { type: 'string' },
        'no-default-rules': { type: 'boolean' },
        log: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`tern simulator: ${message}\nRun "tern simulator --help" for the options.`);
  }
  const port = number('--port', values.port ?? env.TERN_SIM_PORT, 9090);
  if (!Number.isInteger(port) || port > 65535) throw new Error(`--port must be 0..65535`);
  const apiKeys = values['api-key'] ?? splitList(env.TERN_SIM_API_KEY);
  const inbound = values['inbound-number'] ?? splitList(env.TERN_SIM_INBOUND_NUMBERS);
  const timeFactor = number('--time-factor', values['time-factor'] ?? env.TERN_SIM_TIME_FACTOR, 1);
  if (timeFactor === 0) throw new Error('--time-factor must be > 0');
  const perMinute = number(
    '--logs-per-minute',
    values['logs-per-minute'] ?? env.TERN_SIM_LOGS_PER_MINUTE,
    LOGS_RATE_LIMIT.requests,
  );
  if (!Number.isInteger(perMinute)) throw new Error('--logs-per-minute must be an integer');
  const duplicates = values['duplicate-message-ids'] ?? env.TERN_SIM_DUPLICATE_MESSAGE_IDS;
  if (duplicates !== undefined && duplicates !== 'reject' && duplicates !== 'accept') {
    throw new Error('--duplicate-message-ids must be reject or accept');
  }
  const options: SimulatorOptions = {
    apiKeys: apiKeys.length > 0 ? apiKeys.map(apiKeyOf) : [DEFAULT_API_KEY],
    logsLagMs: number(
      '--logs-lag-ms',
      values['logs-lag-ms'] ?? env.TERN_SIM_LOGS_LAG_MS,
      DEFAULT_LOGS_LAG_MS,
    ),
    logsRateLimit: perMinute === 0 ? false : { requests: perMinute, windowMs: 60_000 },
    duplicateMessageIds: duplicates ?? 'reject',
    reportBatchSize: number(
      '--report-batch-size',
      values['report-batch-size'] ?? env.TERN_SIM_REPORT_BATCH_SIZE,
      100,
    ),
    mmsInboundNumbers: inboundPairs(values['mms-inbound-number'] ?? []),
    reportDelayMs: number(
      '--dlr-delay-ms',
      values['dlr-delay-ms'] ?? env.TERN_SIM_DLR_DELAY_MS,
      1000,
    ),
    timeFactor,
    inboundNumbers: inboundPairs(inbound),
    logger: values.log ?? false,
  };
  const reportUrl = values['report-url'] ?? env.TERN_SIM_REPORT_URL;
  if (reportUrl) options.subscriptionReportUrl = reportUrl;
  if (values['no-default-rules']) options.outcomeRules = [];
  return {
    help: values.help ?? false,
    port,
    host: values.host ?? env.TERN_SIM_HOST ?? '127.0.0.1',
    options,
  };
}

/** Runs the simulator until SIGTERM or SIGINT; resolves once it has stopped. */
export async function simulatorCommand(args: string[]): Promise<void> {
  const parsed = parseSimulatorArgs(args);
  if (parsed.help) {
    process.stdout.write(HELP);
    return;
  }
  const simulator = await createSimulator(parsed.options);
  const url = await simulator.listen({ port: parsed.port, host: parsed.host });
  const keys = simulator.options.apiKeys
    .map((k) => (typeof k === 'string' ? k : `${k.key} (${k.scopes.join(' ')})`))
    .join(', ');
  process.stdout.write(
    `Infobip simulator listening on ${url}\n` +
      `  API keys:      ${keys}  (Authorization: App <key>)\n` +
      `  Control API:   ${url}${CONTROL_PREFIX}\n` +
      `  Virtual phone: ${url}${CONTROL_PREFIX}/phone\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      process.stdout.write(`Received ${signal}, stopping the simulator…\n`);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await simulator.close();
}
