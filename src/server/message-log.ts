/**
 * The most recent messages a client sent, kept within a byte budget (their `params` lengths): a
 * test aid of the simulator (`connection.received`). Nothing is kept with a budget of 0 (the
 * relay), and a flood of messages can never grow it beyond the budget.
 */
import type { ClientMessage } from '../protocol/codec.js';

/** Bytes a kept message is charged besides its params (the action and the object around it). */
const OVERHEAD = 32;

export class MessageLog {
  private items: ClientMessage[] = [];
  /** Index of the oldest kept message: older ones are dropped lazily, in amortized O(1). */
  private head = 0;
  private bytes = 0;

  constructor(private readonly budget: number) {}

  push(msg: ClientMessage): void {
    const size = msg.params.length + OVERHEAD;
    if (size > this.budget) {
      // Too big to keep: the log still says something came after what it holds.
      this.clear();
      return;
    }
    this.items.push(msg);
    this.bytes += size;
    while (this.bytes > this.budget) {
      this.bytes -= (this.items[this.head] as ClientMessage).params.length + OVERHEAD;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) this.compact();
  }

  /** The kept messages, oldest first. */
  get messages(): readonly ClientMessage[] {
    if (this.head > 0) this.compact();
    return this.items;
  }

  private compact(): void {
    this.items = this.items.slice(this.head);
    this.head = 0;
  }

  private clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }
}
