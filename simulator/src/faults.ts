/**
 * Fault injection for the Infobip routes (never the control API). A fault fires for the next
 * `count` matching requests and/or with `probability`, optionally only for paths starting with
 * `path` and a given `method`.
 *
 * Kinds:
 * - `unauthorized`, `too-many-requests`, `server-error`: answer at once with that error (in the
 *   route's error shape unless `shape` is given);
 * - `reset`: destroy the socket without answering;
 * - `latency`: wait `latencyMs` before handling (combines with other faults);
 * - `accept-then-reset`, `accept-then-error`: accept and record the messages (reports will
 *   follow), then drop the connection or answer 5xx, so the sender cannot know;
 * - `reject`: answer 200 but every destination gets a rejection status (default
 *   REJECTED_NOT_ENOUGH_CREDITS, id 12, group 5).
 */
import type { ErrorShape } from './errors.js';
import { isStatusName, type StatusName } from './statuses.js';

export const FAULT_KINDS = [
  'unauthorized',
  'too-many-requests',
  'server-error',
  'reset',
  'latency',
  'accept-then-reset',
  'accept-then-error',
  'reject',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  kind: FaultKind;
  /** Fire for this many matching requests, then disappear. Default: unlimited. */
  count?: number;
  /** Share of matching requests that fire (0..1). Default 1. */
  probability?: number;
  /** Only requests whose path starts with this. */
  path?: string;
  /** Only requests with this method (upper case). */
  method?: string;
  /** HTTP status for server-error / accept-then-error (default 500). */
  status?: number;
  /** `Retry-After` seconds for too-many-requests (no header when absent). */
  retryAfterSeconds?: number;
  latencyMs?: number;
  rejectStatus?: StatusName;
  /** Force the error body shape instead of the route's own. */
  shape?: ErrorShape;
}

export interface Fault extends FaultSpec {
  id: number;
  /** How many times it fired. */
  fired: number;
}

/** When a fault acts: before the handler, after accepting, or while accepting. */
type Phase = 'before' | 'after-accept' | 'reject';

const PHASE: Record<FaultKind, Phase | 'latency'> = {
  unauthorized: 'before',
  'too-many-requests': 'before',
  'server-error': 'before',
  reset: 'before',
  latency: 'latency',
  'accept-then-reset': 'after-accept',
  'accept-then-error': 'after-accept',
  reject: 'reject',
};

export class FaultInjector {
  private faults: Fault[] = [];
  private seq = 0;

  constructor(private readonly random: () => number) {}

  get list(): readonly Fault[] {
    return this.faults;
  }

  get active(): boolean {
    return this.faults.length > 0;
  }

  add(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, id: ++this.seq, fired: 0 };
    this.faults.push(fault);
    return fault;
  }

  remove(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /** Total latency to add for this request. */
  latency(method: string, path: string): number {
    let total = 0;
    for (const f of this.faults) {
      if (PHASE[f.kind] === 'latency' && this.fire(f, method, path)) total += f.latencyMs ?? 0;
    }
    this.prune();
    return total;
  }

  /** The first firing fault of the phase, consuming one of its count. */
  take(phase: Phase, method: string, path: string): Fault | undefined {
    if (this.faults.length === 0) return undefined;
    let hit: Fault | undefined;
    for (const f of this.faults) {
      if (PHASE[f.kind] === phase && this.fire(f, method, path)) {
        hit = f;
        break;
      }
    }
    this.prune();
    return hit;
  }

  private fire(f: Fault, method: string, path: string): boolean {
    if (f.path !== undefined && !path.startsWith(f.path)) return false;
    if (f.method !== undefined && f.method !== method) return false;
    if (f.count !== undefined && f.fired >= f.count) return false;
    if (f.probability !== undefined && this.random() >= f.probability) return false;
    f.fired += 1;
    return true;
  }

  private prune(): void {
    if (this.faults.some((f) => f.count !== undefined && f.fired >= f.count)) {
      this.faults = this.faults.filter((f) => f.count === undefined || f.fired < f.count);
    }
  }
}

/** Validates a fault spec from the control API; returns problems as text. */
export function checkFaultSpec(value: unknown): { spec?: FaultSpec; problems: string[] } {
  if (typeof value !== 'object' || value === null) return { problems: ['body must be an object'] };
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  if (!(FAULT_KINDS as readonly unknown[]).includes(v.kind)) {
    return { problems: [`kind must be one of ${FAULT_KINDS.join(', ')}`] };
  }
  const spec: FaultSpec = { kind: v.kind as FaultKind };
  const int = (
    key: 'count' | 'status' | 'retryAfterSeconds' | 'latencyMs',
    min: number,
    max: number,
  ) => {
    const x = v[key];
    if (x === undefined) return;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
      problems.push(`${key} must be an integer in ${min}..${max}`);
    } else spec[key] = x;
  };
  int('count', 1, Number.MAX_SAFE_INTEGER);
  int('retryAfterSeconds', 0, 86_400);
  int('latencyMs', 0, 600_000);
  int('status', 500, 599);
  if (v.probability !== undefined) {
    if (typeof v.probability !== 'number' || v.probability < 0 || v.probability > 1) {
      problems.push('probability must be a number in 0..1');
    } else spec.probability = v.probability;
  }
  for (const key of ['path', 'method'] as const) {
    const x = v[key];
    if (x === undefined) continue;
    if (typeof x !== 'string') problems.push(`${key} must be a string`);
    else spec[key] = key === 'method' ? x.toUpperCase() : x;
  }
  if (v.rejectStatus !== undefined) {
    if (isStatusName(v.rejectStatus)) spec.rejectStatus = v.rejectStatus;
    else problems.push('rejectStatus must be a status name such as REJECTED_NOT_ENOUGH_CREDITS');
  }
  if (v.shape !== undefined) {
    if (v.shape === 'legacy' || v.shape === 'v3') spec.shape = v.shape;
    else problems.push('shape must be legacy or v3');
  }
  return { spec, problems };
}
