import { uuidv7 } from 'uuidv7';

/**
 * Ids are made in the app, not by SQL defaults. UUIDv7 is time-ordered, so ids double as a
 * stable sort key for cursor pagination and index locality.
 */
export function newId(): string {
  return uuidv7();
}
