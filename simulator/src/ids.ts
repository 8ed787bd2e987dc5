/**
 * Makes Infobip-looking ids: numeric strings of 20 digits (real message ids are long numeric
 * strings or UUIDs). A time prefix plus a counter keeps them unique per process and cheap to
 * make on the hot path (no randomness, no BigInt).
 */
export class IdGenerator {
  private counter = 0;
  private readonly prefix: string;

  constructor(now: number) {
    this.prefix = String(now).padStart(13, '0');
  }

  next(): string {
    this.counter += 1;
    return this.prefix + String(this.counter).padStart(7, '0');
  }
}
