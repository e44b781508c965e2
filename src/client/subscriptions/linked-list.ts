/**
 * An intrusive doubly linked list: the items carry their own links, so appending, unlinking any
 * item and reading the head are O(1), with no allocation. The subscription store keeps its waiting
 * requests in these, in the order their deadlines were armed.
 */
export interface Linked<T> {
  /** The list the item is in, if any. */
  list: object | undefined;
  prev: T | undefined;
  next: T | undefined;
}

export class LinkedList<T extends Linked<T>> {
  head: T | undefined;
  private tail: T | undefined;
  size = 0;

  push(item: T): void {
    item.list = this;
    item.prev = this.tail;
    item.next = undefined;
    if (this.tail) this.tail.next = item;
    else this.head = item;
    this.tail = item;
    this.size++;
  }

  unlink(item: T): void {
    if (item.list !== this) return;
    if (item.prev) item.prev.next = item.next;
    else this.head = item.next;
    if (item.next) item.next.prev = item.prev;
    else this.tail = item.prev;
    item.list = item.prev = item.next = undefined;
    this.size--;
  }

  /** Remove and return every item, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.head; item; item = item.next) out.push(item);
    for (const item of out) item.list = item.prev = item.next = undefined;
    this.head = this.tail = undefined;
    this.size = 0;
    return out;
  }
}
