import { Liquid, LiquidError, type Template as LiquidTemplate } from 'liquidjs';
import { AppError, type ErrorDetail } from '../errors.js';
import { TEMPLATE_BODY_MAX, type TemplateVersion } from './template.js';

/** What a template may refer to: the recipient's profile, the sandbox and the campaign. */
export interface RenderContext {
  profile: {
    id: string | null;
    phone: string;
    consent: string;
    attributes: Record<string, unknown>;
  };
  sandbox: { name: string };
  campaign: { id: string; name: string } | null;
  /** The custom keyword a keyword response answers (`{{ keyword }}`); absent elsewhere. */
  keyword?: string;
}

export type RenderResult = { ok: true; text: string } | { ok: false; problems: ErrorDetail[] };

/** A parsed template, rendered synchronously for each recipient. */
export interface CompiledTemplate {
  render(ctx: RenderContext): RenderResult;
}

/**
 * The bounds of one render. A typical SMS template renders in ~7 µs (measured: 100,000 renders
 * of a 100-character template with a default filter, 0.73 s), so each limit is far above any
 * real template and far below a stall:
 * - renderLimit 50 ms: the most one recipient can hold the event loop (a double loop over
 *   (1..1000) is cut there). It is a clock, so it must sit clear of pauses that are not the
 *   template's: at 10 ms, a cold first render on this 2-core machine shared with other suites
 *   tripped it (2 runs in 4). 50 ms is also the budget Tern's pathological-input tests hold a
 *   request to.
 * - memoryLimit 100,000: liquidjs counts the characters and items that ranges, string filters
 *   and joins allocate; the longest text Tern sends is an MMS of 4,096 characters, so 25× that
 *   is room for filters, not for a doubling `append` loop. Deterministic, unlike the clock.
 * - parseLimit: the body's own bound, TEMPLATE_BODY_MAX characters.
 * (liquidjs 10.30.1 declares a `templateLimit` render option but does not enforce it.)
 */
export const RENDER_LIMITS = {
  renderLimit: 50,
  memoryLimit: 100_000,
  parseLimit: TEMPLATE_BODY_MAX,
} as const;
/** The most problems listed for one error (liquidjs may wrap several in one). */
const PROBLEMS_MAX = 20;

// Include, render and layout read other templates (files); block only makes sense inside a
// layout. Removed so they fail at parse ("tag not found") rather than at render.
const FILE_TAGS = ['include', 'render', 'layout', 'block'];

/** An FS that holds nothing: even if a file tag came back, it could read no file. */
const NO_FILES = {
  exists: () => Promise.resolve(false),
  existsSync: () => false,
  readFile: () => Promise.reject(new Error('templates cannot read files')),
  readFileSync: () => {
    throw new Error('templates cannot read files');
  },
  resolve: (_dir: string, file: string) => file,
};

function strictLiquid(strictVariables: boolean): Liquid {
  const liquid = new Liquid({
    strictFilters: true,
    strictVariables,
    // `if` and `default` may test an unset variable: that is how a template says "optional".
    lenientIf: true,
    ownPropertyOnly: true,
    // The first problem stops the render: liquidjs builds a context snippet of the source for
    // each error, so gathering all of a body of 571 unset outputs took 57 ms.
    catchAllErrors: false,
    fs: NO_FILES,
    relativeReference: false,
    root: [],
    partials: [],
    layouts: [],
    dynamicPartials: false,
    // Each version is parsed once and kept by its owner (TemplateService, a campaign).
    cache: false,
    parseLimit: RENDER_LIMITS.parseLimit,
    renderLimit: RENDER_LIMITS.renderLimit,
    memoryLimit: RENDER_LIMITS.memoryLimit,
    // Dates in UTC, whatever the server's zone.
    timezoneOffset: 0,
  });
  for (const tag of FILE_TAGS) Reflect.deleteProperty(liquid.tags, tag);
  return liquid;
}

const STRICT = strictLiquid(true);
/** For the trial render at save: unset variables print nothing, every other check holds. */
const LENIENT = strictLiquid(false);

const POSITION_SUFFIX = /, line:\d+, col:\d+$/;

/** One problem of the body, naming its line and column and what is wrong. */
function bodyProblem(error: unknown): ErrorDetail {
  if (!(error instanceof LiquidError)) {
    // The render clock is also checked outside any tag, where liquidjs throws it bare.
    return {
      path: '/body',
      message: describe(error instanceof Error ? error.message : String(error)),
    };
  }
  const [line, column] = error.token.getPosition();
  const original = error.originalError as { variableName?: unknown } | undefined;
  const variable = typeof original?.variableName === 'string' ? original.variableName : undefined;
  const what = variable
    ? `"${variable}" is not set; give it a default, e.g. {{ ${variable} | default: "…" }}`
    : describe(error.message.replace(POSITION_SUFFIX, ''));
  return {
    path: '/body',
    message: `line ${line}, column ${column}: ${what}`,
    line,
    column,
    ...(variable ? { variable } : {}),
  };
}

/** liquidjs' wording, made to say what the operator can do about it. */
function describe(message: string): string {
  if (message.startsWith('tag "') && message.endsWith('" not found'))
    return `unknown tag ${message.slice(4, -10)} (include, render and layout are not available: templates read no files)`;
  if (message.startsWith('undefined filter: '))
    return `unknown filter "${message.slice('undefined filter: '.length)}"`;
  if (message === 'template render limit exceeded')
    return `takes too long to render (over ${RENDER_LIMITS.renderLimit} ms)`;
  if (message === 'memory alloc limit exceeded') return 'builds too much text while rendering';
  return message;
}

/** The problems inside one liquidjs error (catchAllErrors gathers several into one). */
function problemsOf(error: unknown): ErrorDetail[] {
  return leaves(error, 0).slice(0, PROBLEMS_MAX).map(bodyProblem);
}

/** The errors inside nested "n errors found" wrappers (a loop's body gathers its own). */
function leaves(error: unknown, depth: number): unknown[] {
  const inner = (error as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(inner) || inner.length === 0 || depth > 20) return [error];
  return inner.flatMap((e: unknown) => leaves(e, depth + 1));
}

/** The Liquid scope: a fresh plain object per render, with no campaign key when there is none. */
function scope(ctx: RenderContext): Record<string, unknown> {
  const { profile, sandbox, campaign, keyword } = ctx;
  return {
    profile: {
      id: profile.id,
      phone: profile.phone,
      consent: profile.consent,
      attributes: profile.attributes,
    },
    sandbox: { name: sandbox.name },
    // Without a campaign (a preview), `campaign.name` is an unset variable, not a silent "".
    ...(campaign ? { campaign: { id: campaign.id, name: campaign.name } } : {}),
    ...(keyword !== undefined ? { keyword } : {}),
  };
}

const RENDER_OPTIONS = {
  renderLimit: RENDER_LIMITS.renderLimit,
  memoryLimit: RENDER_LIMITS.memoryLimit,
};

function renderWith(liquid: Liquid, parsed: LiquidTemplate[], ctx: RenderContext): RenderResult {
  // liquidjs reports an unset variable by throwing, and a JavaScript stack costs ~0.2 ms a
  // recipient (measured: 1,000 renders with one unset variable, 223 ms; 66 ms without stacks).
  // The problems name the line and column, so the stack is of no use: none is captured while
  // rendering (synchronous, so nothing else runs meanwhile).
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    // The render clock is wall time: a process descheduled on a busy machine, or a GC pause,
    // can pass 50 ms in a render that takes 10 µs (a campaign's SIGKILL test on PostgreSQL
    // failed recipients so under load). A template slow by itself is slow every time, so the
    // clock must trip on three renders in a row to fail the recipient.
    for (let attempt = 1; ; attempt++) {
      try {
        const text: unknown = liquid.renderSync(parsed, scope(ctx), RENDER_OPTIONS);
        return { ok: true, text: String(text) };
      } catch (error) {
        if (attempt < RENDER_TRIES && isRenderClock(error)) continue;
        return { ok: false, problems: problemsOf(error) };
      }
    }
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Renders tried before the render clock counts as the template's problem. */
const RENDER_TRIES = 3;

function isRenderClock(error: unknown): boolean {
  return error instanceof Error && error.message.includes('template render limit exceeded');
}

/**
 * Parses a template body once (strict filters, no file tags). Throws AppError
 * validation_failed naming `/body`, the line and the problem when it does not parse.
 */
export function compileTemplate(
  t: Pick<TemplateVersion, 'body' | 'messageType' | 'dltTemplateText'>,
): CompiledTemplate {
  if (t.body.length > TEMPLATE_BODY_MAX) {
    throw new AppError('validation_failed', 'The template body is too long.', [
      { path: '/body', message: `must be at most ${TEMPLATE_BODY_MAX} characters` },
    ]);
  }
  let parsed: LiquidTemplate[];
  try {
    parsed = STRICT.parse(t.body);
  } catch (error) {
    throw new AppError(
      'validation_failed',
      'The template body is not valid Liquid.',
      problemsOf(error),
    );
  }
  return {
    render: (ctx) => renderWith(STRICT, parsed, ctx),
  };
}

/**
 * Renders a parsed body with every unset variable printing nothing: what a template says to a
 * recipient with no attributes. Used at save to find a body that is over a limit for everyone.
 */
export function trialRender(body: string, ctx: RenderContext): RenderResult {
  let parsed: LiquidTemplate[];
  try {
    parsed = LENIENT.parse(body);
  } catch (error) {
    return { ok: false, problems: problemsOf(error) };
  }
  return renderWith(LENIENT, parsed, ctx);
}
