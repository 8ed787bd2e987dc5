/**
 * Small request checkers that collect violations with Infobip-style property paths
 * (`messages[0].destinations[1].to`). Hand-written rather than schema-driven so the paths and
 * messages match Infobip's (Java bean-validation wording) and the hot path stays cheap.
 * Guess: the exact violation texts are not documented; they follow bean-validation defaults.
 */
import type { Violation } from './errors.js';
import { parseInfobipTime } from './time.js';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export class Checker {
  readonly violations: Violation[] = [];

  get ok(): boolean {
    return this.violations.length === 0;
  }

  add(property: string, violation: string): void {
    this.violations.push({ property, violation });
  }

  string(
    obj: Json,
    key: string,
    path: string,
    opts: { required?: boolean; max?: number; notBlank?: boolean } = {},
  ): string | undefined {
    const value = obj[key];
    const at = join(path, key);
    if (value === undefined || value === null) {
      if (opts.required) this.add(at, opts.notBlank ? 'must not be blank' : 'must not be null');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add(at, 'must be a string');
      return undefined;
    }
    if (opts.notBlank && value.trim() === '') {
      this.add(at, 'must not be blank');
      return undefined;
    }
    if (opts.max !== undefined && value.length > opts.max) {
      this.add(at, `size must be between 0 and ${opts.max}`);
      return undefined;
    }
    return value;
  }

  boolean(obj: Json, key: string, path: string): boolean | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      this.add(join(path, key), 'must be a boolean');
      return undefined;
    }
    return value;
  }

  integer(
    obj: Json,
    key: string,
    path: string,
    opts: { required?: boolean; min?: number; max?: number } = {},
  ): number | undefined {
    const value = obj[key];
    const at = join(path, key);
    if (value === undefined || value === null) {
      if (opts.required) this.add(at, 'must not be null');
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.add(at, 'must be an integer');
      return undefined;
    }
    if (opts.min !== undefined && value < opts.min) {
      this.add(at, `must be greater than or equal to ${opts.min}`);
      return undefined;
    }
    if (opts.max !== undefined && value > opts.max) {
      this.add(at, `must be less than or equal to ${opts.max}`);
      return undefined;
    }
    return value;
  }

  object(obj: Json, key: string, path: string, required = false): Json | undefined {
    const value = obj[key];
    const at = join(path, key);
    if (value === undefined || value === null) {
      if (required) this.add(at, 'must not be null');
      return undefined;
    }
    if (!isObject(value)) {
      this.add(at, 'must be an object');
      return undefined;
    }
    return value;
  }

  array(obj: Json, key: string, path: string, required = false): unknown[] | undefined {
    const value = obj[key];
    const at = join(path, key);
    if (value === undefined || value === null) {
      if (required) this.add(at, 'must not be empty');
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.add(at, 'must be an array');
      return undefined;
    }
    if (required && value.length === 0) {
      this.add(at, 'must not be empty');
      return undefined;
    }
    return value as unknown[];
  }

  oneOf<T extends string>(
    obj: Json,
    key: string,
    path: string,
    values: readonly T[],
  ): T | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      this.add(join(path, key), `must be one of [${values.join(', ')}]`);
      return undefined;
    }
    return value as T;
  }

  /** A `sendAt` date: parseable, at most 180 days ahead (infobip.md §2.2). */
  sendAt(obj: Json, key: string, path: string, now: number): number | undefined {
    const text = this.string(obj, key, path);
    if (text === undefined) return undefined;
    const at = parseInfobipTime(text);
    if (Number.isNaN(at)) {
      this.add(join(path, key), 'must be a date in the format yyyy-MM-ddTHH:mm:ss.SSSZ');
      return undefined;
    }
    if (at > now + 180 * 24 * 3_600_000) {
      this.add(join(path, key), 'must be at most 180 days in the future');
      return undefined;
    }
    return at;
  }

  /** `deliveryTimeWindow` (only checked, not enforced: the simulator sends at once). */
  deliveryTimeWindow(obj: Json, key: string, path: string): void {
    const window = this.object(obj, key, path);
    if (!window) return;
    const at = join(path, key);
    const days = this.array(window, 'days', at, true);
    const dayNames = [
      'MONDAY',
      'TUESDAY',
      'WEDNESDAY',
      'THURSDAY',
      'FRIDAY',
      'SATURDAY',
      'SUNDAY',
    ] as const;
    days?.forEach((day, i) => {
      if (typeof day !== 'string' || !(dayNames as readonly string[]).includes(day)) {
        this.add(`${at}.days[${i}]`, `must be one of [${dayNames.join(', ')}]`);
      }
    });
    for (const end of ['from', 'to'] as const) {
      const time = this.object(window, end, at);
      if (!time) continue;
      this.integer(time, 'hour', `${at}.${end}`, { required: true, min: 0, max: 23 });
      this.integer(time, 'minute', `${at}.${end}`, { required: true, min: 0, max: 59 });
    }
  }

  /** `regional` options (v2 message level, v3 `options.regional`). */
  regional(obj: Json, key: string, path: string): void {
    const regional = this.object(obj, key, path);
    if (!regional) return;
    const at = join(path, key);
    const india = this.object(regional, 'indiaDlt', at);
    if (india) {
      this.string(india, 'principalEntityId', `${at}.indiaDlt`, { required: true, notBlank: true });
      this.string(india, 'contentTemplateId', `${at}.indiaDlt`);
      this.string(india, 'telemarketerId', `${at}.indiaDlt`);
    }
    const turkey = this.object(regional, 'turkeyIys', at);
    if (turkey) {
      if (turkey.recipientType === undefined) {
        this.add(`${at}.turkeyIys.recipientType`, 'must not be null');
      } else {
        this.oneOf(turkey, 'recipientType', `${at}.turkeyIys`, ['BIREYSEL', 'TACIR']);
      }
      this.integer(turkey, 'brandCode', `${at}.turkeyIys`);
    }
    const korea = this.object(regional, 'southKorea', at);
    if (korea) {
      this.integer(korea, 'resellerCode', `${at}.southKorea`);
      this.string(korea, 'title', `${at}.southKorea`, { max: 66 });
    }
  }
}

/** Marker the JSON body parser returns for a body that is not JSON, so hooks still run. */
export const INVALID_JSON = Symbol('invalid JSON');

export interface InvalidJsonBody {
  [INVALID_JSON]: true;
  text: string;
}

export function isInvalidJson(body: unknown): body is InvalidJsonBody {
  return typeof body === 'object' && body !== null && INVALID_JSON in body;
}
