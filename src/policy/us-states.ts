/**
 * US states (and DC, PR) as data for the locator: the USPS code, the name libphonenumber's
 * geocoder writes for an area code ("Florida", "Washington State", "New York, NY"), and the IANA
 * zones the state spans (a profile that gives only a state is checked against each: a window must
 * be open in all of them). Zones: the tz database's zone.tab comments per state.
 */
export const US_STATES: readonly { code: string; name: string; zones: readonly string[] }[] = [
  { code: 'AL', name: 'Alabama', zones: ['America/Chicago'] },
  { code: 'AK', name: 'Alaska', zones: ['America/Anchorage', 'America/Adak'] },
  { code: 'AZ', name: 'Arizona', zones: ['America/Phoenix', 'America/Denver'] },
  { code: 'AR', name: 'Arkansas', zones: ['America/Chicago'] },
  { code: 'CA', name: 'California', zones: ['America/Los_Angeles'] },
  { code: 'CO', name: 'Colorado', zones: ['America/Denver'] },
  { code: 'CT', name: 'Connecticut', zones: ['America/New_York'] },
  { code: 'DE', name: 'Delaware', zones: ['America/New_York'] },
  { code: 'DC', name: 'Washington D.C.', zones: ['America/New_York'] },
  { code: 'FL', name: 'Florida', zones: ['America/New_York', 'America/Chicago'] },
  { code: 'GA', name: 'Georgia', zones: ['America/New_York'] },
  { code: 'HI', name: 'Hawaii', zones: ['Pacific/Honolulu'] },
  { code: 'ID', name: 'Idaho', zones: ['America/Boise', 'America/Los_Angeles'] },
  { code: 'IL', name: 'Illinois', zones: ['America/Chicago'] },
  { code: 'IN', name: 'Indiana', zones: ['America/Indiana/Indianapolis', 'America/Chicago'] },
  { code: 'IA', name: 'Iowa', zones: ['America/Chicago'] },
  { code: 'KS', name: 'Kansas', zones: ['America/Chicago', 'America/Denver'] },
  { code: 'KY', name: 'Kentucky', zones: ['America/New_York', 'America/Chicago'] },
  { code: 'LA', name: 'Louisiana', zones: ['America/Chicago'] },
  { code: 'ME', name: 'Maine', zones: ['America/New_York'] },
  { code: 'MD', name: 'Maryland', zones: ['America/New_York'] },
  { code: 'MA', name: 'Massachusetts', zones: ['America/New_York'] },
  { code: 'MI', name: 'Michigan', zones: ['America/Detroit', 'America/Menominee'] },
  { code: 'MN', name: 'Minnesota', zones: ['America/Chicago'] },
  { code: 'MS', name: 'Mississippi', zones: ['America/Chicago'] },
  { code: 'MO', name: 'Missouri', zones: ['America/Chicago'] },
  { code: 'MT', name: 'Montana', zones: ['America/Denver'] },
  { code: 'NE', name: 'Nebraska', zones: ['America/Chicago', 'America/Denver'] },
  { code: 'NV', name: 'Nevada', zones: ['America/Los_Angeles'] },
  { code: 'NH', name: 'New Hampshire', zones: ['America/New_York'] },
  { code: 'NJ', name: 'New Jersey', zones: ['America/New_York'] },
  { code: 'NM', name: 'New Mexico', zones: ['America/Denver'] },
  { code: 'NY', name: 'New York', zones: ['America/New_York'] },
  { code: 'NC', name: 'North Carolina', zones: ['America/New_York'] },
  { code: 'ND', name: 'North Dakota', zones: ['America/Chicago', 'America/Denver'] },
  { code: 'OH', name: 'Ohio', zones: ['America/New_York'] },
  { code: 'OK', name: 'Oklahoma', zones: ['America/Chicago'] },
  { code: 'OR', name: 'Oregon', zones: ['America/Los_Angeles', 'America/Boise'] },
  { code: 'PA', name: 'Pennsylvania', zones: ['America/New_York'] },
  { code: 'PR', name: 'Puerto Rico', zones: ['America/Puerto_Rico'] },
  { code: 'RI', name: 'Rhode Island', zones: ['America/New_York'] },
  { code: 'SC', name: 'South Carolina', zones: ['America/New_York'] },
  { code: 'SD', name: 'South Dakota', zones: ['America/Chicago', 'America/Denver'] },
  { code: 'TN', name: 'Tennessee', zones: ['America/Chicago', 'America/New_York'] },
  { code: 'TX', name: 'Texas', zones: ['America/Chicago', 'America/Denver'] },
  { code: 'UT', name: 'Utah', zones: ['America/Denver'] },
  { code: 'VT', name: 'Vermont', zones: ['America/New_York'] },
  { code: 'VA', name: 'Virginia', zones: ['America/New_York'] },
  { code: 'WA', name: 'Washington State', zones: ['America/Los_Angeles'] },
  { code: 'WV', name: 'West Virginia', zones: ['America/New_York'] },
  { code: 'WI', name: 'Wisconsin', zones: ['America/Chicago'] },
  { code: 'WY', name: 'Wyoming', zones: ['America/Denver'] },
];

const BY_CODE = new Map(US_STATES.map((s) => [s.code, s]));
const BY_NAME = new Map(US_STATES.map((s) => [s.name.toLowerCase(), s]));
BY_NAME.set('washington', BY_CODE.get('WA')!);
BY_NAME.set('district of columbia', BY_CODE.get('DC')!);

/** The state a profile value names: `FL`, `fl`, `US-FL`, `Florida`; null when none. */
export function stateOf(value: string): { code: string; zones: readonly string[] } | null {
  const v = value.trim();
  const code = /^(?:US-)?([A-Za-z]{2})$/.exec(v)?.[1]?.toUpperCase();
  if (code) return BY_CODE.get(code) ?? null;
  return BY_NAME.get(v.toLowerCase()) ?? null;
}

/**
 * The state of a geocoder description for a +1 number: "Florida" or "San Francisco, CA"
 * (the code after the last comma); null for Canada's provinces and anything else.
 */
export function stateOfGeocode(
  description: string,
): { code: string; zones: readonly string[] } | null {
  const byName = BY_NAME.get(description.trim().toLowerCase());
  if (byName) return byName;
  const suffix = /,\s*([A-Z]{2})$/.exec(description)?.[1];
  return suffix ? (BY_CODE.get(suffix) ?? null) : null;
}

/**
 * The state of a US ZIP code by its first three digits (USPS ZIP code prefixes). Military (AA,
 * AE, AP) and the Pacific territories give null.
 */
export function stateOfZip(zip: string): string | null {
  const prefix = Number(zip.slice(0, 3));
  for (const [from, to, state] of ZIP3) if (prefix >= from && prefix <= to) return state;
  return null;
}

// Guess: ranges from the USPS ZIP prefix list as commonly reproduced; a few single prefixes that
// belong to another state (e.g. 201 VA inside DC's 200–205) are listed before their range.
const ZIP3: readonly [number, number, string][] = [
  [5, 5, 'NY'],
  [6, 9, 'PR'],
  [10, 27, 'MA'],
  [28, 29, 'RI'],
  [30, 38, 'NH'],
  [39, 49, 'ME'],
  [55, 55, 'MA'],
  [50, 59, 'VT'],
  [60, 69, 'CT'],
  [70, 89, 'NJ'],
  [100, 149, 'NY'],
  [150, 196, 'PA'],
  [197, 199, 'DE'],
  [201, 201, 'VA'],
  [200, 205, 'DC'],
  [206, 219, 'MD'],
  [220, 246, 'VA'],
  [247, 268, 'WV'],
  [270, 289, 'NC'],
  [290, 299, 'SC'],
  [300, 319, 'GA'],
  [320, 339, 'FL'],
  [341, 349, 'FL'],
  [350, 369, 'AL'],
  [370, 385, 'TN'],
  [386, 397, 'MS'],
  [398, 399, 'GA'],
  [400, 427, 'KY'],
  [430, 459, 'OH'],
  [460, 479, 'IN'],
  [480, 499, 'MI'],
  [500, 528, 'IA'],
  [530, 549, 'WI'],
  [550, 567, 'MN'],
  [569, 569, 'DC'],
  [570, 577, 'SD'],
  [580, 588, 'ND'],
  [590, 599, 'MT'],
  [600, 629, 'IL'],
  [630, 658, 'MO'],
  [660, 679, 'KS'],
  [680, 693, 'NE'],
  [700, 714, 'LA'],
  [716, 729, 'AR'],
  [733, 733, 'TX'],
  [730, 749, 'OK'],
  [750, 799, 'TX'],
  [800, 816, 'CO'],
  [820, 831, 'WY'],
  [832, 838, 'ID'],
  [840, 847, 'UT'],
  [850, 865, 'AZ'],
  [870, 884, 'NM'],
  [885, 885, 'TX'],
  [889, 898, 'NV'],
  [900, 961, 'CA'],
  [967, 968, 'HI'],
  [970, 979, 'OR'],
  [980, 994, 'WA'],
  [995, 999, 'AK'],
];
