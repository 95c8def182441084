/**
 * A binary min-heap. The queue uses it for "when does the next hidden message become visible"
 * and "which message expires next", so each receive costs O(log n) instead of a scan of the
 * queue. Entries are never updated in place: callers push a new entry and skip stale ones.
 */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentItem = items[parent] as T;
      if (!this.less(item, parentItem)) break;
      items[index] = parentItem;
      index = parent;
    }
    items[index] = item;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && this.less(items[right] as T, items[left] as T) ? right : left;
      const childItem = items[child] as T;
      if (!this.less(childItem, last)) break;
      items[index] = childItem;
      index = child;
    }
    items[index] = last;
    return top;
  }

  /** Replaces the contents (used to drop stale entries when they outnumber live ones). */
  rebuild(items: Iterable<T>): void {
    this.items.length = 0;
    for (const item of items) this.push(item);
  }
}
