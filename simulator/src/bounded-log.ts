/**
 * An append-only list that keeps the newest `limit` entries. Trimming happens in chunks (when
 * the list reaches twice the limit) so appends stay O(1) amortised on the hot path.
 */
export class BoundedLog<T> {
  private items: T[] = [];

  constructor(private readonly limit: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length >= this.limit * 2) this.items = this.items.slice(-this.limit);
  }

  /** The kept entries, oldest first. */
  all(): readonly T[] {
    if (this.items.length > this.limit) this.items = this.items.slice(-this.limit);
    return this.items;
  }

  clear(): void {
    this.items = [];
  }
}
