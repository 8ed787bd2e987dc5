import { parsePhoneNumberFromString, type PhoneNumber } from 'libphonenumber-js/max';
import { PHONE_INPUT_MAX_LENGTH } from '../phone.js';
import { numberGeocode, numberTimeZones } from './number-geo.js';
import { stateOf, stateOfGeocode, stateOfZip } from './us-states.js';

/** Which signal decided where the recipient is, in the order they are tried. */
export const LOCATION_SOURCES = [
  'profile_time_zone',
  'profile_region',
  'area_code',
  'country',
  'sandbox_default',
  'unknown',
] as const;
export type LocationSource = (typeof LOCATION_SOURCES)[number];

/** Where a recipient is, with the signal that said so and the signals set aside. */
export interface Location {
  /** The zone the window is read in; null when nothing gave one. */
  timeZone: string | null;
  /**
   * Every zone the recipient may be in when the signal spans several (area code 775, a profile
   * that says only "Florida"): a window must be open in each. Absent when there is one.
   */
  timeZones?: string[];
  country: string | null;
  region: string | null;
  source: LocationSource;
  ignored?: { attribute: string; reason: string }[];
}

/** The longest attribute value read as a zone, state or postal code (longer: ignored). */
export const LOCATION_ATTRIBUTE_MAX = 64;
/**
 * A number whose prefix spans more zones than this is not located by its prefix: +1 800 spans
 * 42 zones (all of NANP), and no window is open in all of them.
 */
// Guess: 4 is the most a geographic NANP area code or a state needs (most have 1, a handful 2).
export const ZONES_PER_NUMBER_MAX = 4;

const TIME_ZONE_KEYS = ['timeZone', 'timezone', 'time_zone'] as const;
const REGION_KEYS = ['state', 'region'] as const;
const POSTAL_KEYS = ['postalCode', 'postal_code', 'zip'] as const;

/**
 * Where `phone` is: profile time zone → profile state/region/postal code → the number's area code
 * (libphonenumber's time zone and geocoding metadata) → the number's country → the sandbox's
 * default zone. Never throws: a value that is not usable is listed in `ignored` with why.
 */
export function locateRecipient(
  phone: string,
  attributes: Record<string, unknown>,
  sandboxDefault: string | null,
): Location {
  const ignored: { attribute: string; reason: string }[] = [];
  const parsed = parsePhone(phone);
  const country = parsed?.country ?? null;
  const numberZones = parsed ? geographicZones(parsed) : null;
  const geocode = parsed && country === 'US' ? numberGeocode(parsed) : null;
  const numberState = geocode ? stateOfGeocode(geocode) : null;

  const done = (location: Location): Location => {
    const out: Location = { ...location };
    if (out.timeZones && out.timeZones.length < 2) delete out.timeZones;
    if (ignored.length > 0) out.ignored = ignored;
    return out;
  };

  // 1. The profile's own zone.
  const zoneAttr = firstPresent(attributes, TIME_ZONE_KEYS);
  if (zoneAttr) {
    const problem = zoneProblem(zoneAttr.value);
    if (problem) ignored.push({ attribute: zoneAttr.key, reason: problem });
  }
  const profileZone = zoneAttr && !zoneProblem(zoneAttr.value) ? (zoneAttr.value as string) : null;

  // 2. The profile's state or postal code (a US resident; Virginia reaches them on any number).
  const profileState = readProfileState(attributes, country, ignored);

  if (profileZone) {
    return done({
      timeZone: profileZone,
      country: profileState ? 'US' : country,
      region: profileState?.code ?? numberState?.code ?? null,
      source: 'profile_time_zone',
    });
  }
  if (profileState) {
    // The number's zones are finer than the state's when the number is from the same state.
    const zones =
      numberState?.code === profileState.code && numberZones
        ? numberZones
        : [...profileState.zones];
    return done({
      timeZone: zones[0] ?? null,
      timeZones: zones,
      country: 'US',
      region: profileState.code,
      source: 'profile_region',
    });
  }

  // 3. The number: its prefix's zones, and for +1 numbers the state its area code is in.
  if (numberZones) {
    return done({
      timeZone: numberZones[0] ?? null,
      timeZones: numberZones,
      country,
      region: numberState?.code ?? null,
      source: geocode ? 'area_code' : 'country',
    });
  }

  // 4–5. The country alone says no zone (+1 800 spans all of NANP): the sandbox's default zone.
  const fallback = sandboxDefault === null ? null : sandboxDefault;
  if (fallback !== null) {
    const problem = zoneProblem(fallback);
    if (problem) ignored.push({ attribute: 'sandboxDefault', reason: problem });
    else return done({ timeZone: fallback, country, region: null, source: 'sandbox_default' });
  }
  return done({ timeZone: null, country, region: null, source: country ? 'country' : 'unknown' });
}

function parsePhone(phone: string): PhoneNumber | null {
  if (typeof phone !== 'string' || phone.length > PHONE_INPUT_MAX_LENGTH) return null;
  const trimmed = phone.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) return null;
  const parsed = parsePhoneNumberFromString(trimmed.startsWith('+') ? trimmed : `+${trimmed}`);
  return parsed?.isValid() ? parsed : null;
}

function geographicZones(phone: PhoneNumber): string[] | null {
  const zones = numberTimeZones(phone)?.filter((z) => zoneProblem(z) === null) ?? [];
  return zones.length > 0 && zones.length <= ZONES_PER_NUMBER_MAX ? zones : null;
}

function firstPresent(
  attributes: Record<string, unknown>,
  keys: readonly string[],
): { key: string; value: unknown } | null {
  if (typeof attributes !== 'object' || attributes === null) return null;
  for (const key of keys) {
    if (
      Object.hasOwn(attributes, key) &&
      attributes[key] !== null &&
      attributes[key] !== undefined &&
      attributes[key] !== ''
    )
      return { key, value: attributes[key] };
  }
  return null;
}

function readProfileState(
  attributes: Record<string, unknown>,
  country: string | null,
  ignored: { attribute: string; reason: string }[],
): { code: string; zones: readonly string[] } | null {
  const region = firstPresent(attributes, REGION_KEYS);
  if (region) {
    if (typeof region.value !== 'string') {
      ignored.push({ attribute: region.key, reason: 'not a string' });
    } else if (region.value.length > LOCATION_ATTRIBUTE_MAX) {
      ignored.push({
        attribute: region.key,
        reason: `longer than ${LOCATION_ATTRIBUTE_MAX} characters`,
      });
    } else {
      const state = stateOf(region.value);
      if (state) return state;
      ignored.push({ attribute: region.key, reason: 'not a US state code or name' });
    }
  }
  const postal = firstPresent(attributes, POSTAL_KEYS);
  if (postal) {
    const value =
      typeof postal.value === 'number' ? String(postal.value).padStart(5, '0') : postal.value;
    if (typeof value !== 'string' || value.length > LOCATION_ATTRIBUTE_MAX) {
      ignored.push({
        attribute: postal.key,
        reason: `not a string of at most ${LOCATION_ATTRIBUTE_MAX} characters`,
      });
    } else if (country !== null && country !== 'US') {
      // A five-digit code is a ZIP only on a US number: France's codes have five digits too.
      ignored.push({
        attribute: postal.key,
        reason: `read as a US ZIP code only for a US number (this one is ${country})`,
      });
    } else if (!/^\d{5}(?:-\d{4})?$/.test(value.trim())) {
      ignored.push({ attribute: postal.key, reason: 'not a US ZIP code (12345 or 12345-6789)' });
    } else {
      const state = stateOfZip(value.trim());
      if (state) return stateOf(state);
      ignored.push({
        attribute: postal.key,
        reason: 'a ZIP code of no state (military or territory)',
      });
    }
  }
  return null;
}

const zoneMemo = new Map<string, string | null>();

/** Why `value` is not an IANA zone name, or null when it is one Intl knows. */
export function zoneProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'not a string';
  if (value.length > LOCATION_ATTRIBUTE_MAX)
    return `longer than ${LOCATION_ATTRIBUTE_MAX} characters`;
  const known = zoneMemo.get(value);
  if (known !== undefined) return known;
  let problem: string | null = null;
  // Area/Location names only (and UTC): Intl also takes offsets such as "+05:00", which have no DST
  // and are no one's legal zone.
  if (!/^(?:UTC|[A-Za-z]+(?:\/[A-Za-z0-9_+-]+){1,2})$/.test(value)) {
    problem = 'not an IANA time zone name (Area/Location)';
  } else {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value });
    } catch {
      problem = 'not a time zone this runtime knows (IANA tz database)';
    }
  }
  if (zoneMemo.size >= 1_000) zoneMemo.clear();
  zoneMemo.set(value, problem);
  return problem;
}
