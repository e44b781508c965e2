/**
 * Delivery of decoded events to user code. Plain listeners run inline, the fast path: one Map
 * lookup per event, no copying or wrapping. Queued listeners and `events()` iterators each get a
 * bounded queue, so a slow consumer costs bounded memory and never stalls the socket reader.
 */
import type { WireEvent } from '../../protocol/codec.js';
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import { BoundedQueue, type DropReason, type OverflowPolicy } from './bounded-queue.js';
import { canonicalSymbol, symbolOf, topicOf } from '../../protocol/symbols.js';
import { handlerError, settle } from './callbacks.js';

export type Listener = (event: WireEvent) => unknown;

export interface QueueOptions {
  /** Most events pending for this consumer (default 10 000). */
  capacity?: number;
  /** What happens when it is full (default 'drop-oldest'; see README "Slow consumers"). */
  overflow?: OverflowPolicy;
}

/** `Ev`: the event types that may be named (a client's are its cluster's known `ev` values). */
export interface EventFilter<Ev extends string = string> {
  /** Only these event types (`'T'`, `['Q', 'T']`). */
  ev?: Ev | readonly Ev[];
  /** Only these event types this version has no type for (a new feed's `ev`): `UnknownEvent`s. */
  unknown?: string | readonly string[];
  /**
   * Only these symbols, with or without the cluster prefix, in any case and pair spelling
   * (`'AAPL'`, `'X:BTC-USD'`, `'btc-usd'`, `'EUR/USD'`): matched by canonical symbol.
   */
  symbols?: readonly string[];
}

export interface EventsOptions<Ev extends string = string> extends EventFilter<Ev>, QueueOptions {
  /** Aborting ends the iteration. */
  signal?: AbortSignal;
}

interface Consumer {
  readonly queue: BoundedQueue<WireEvent>;
  readonly evs: ReadonlySet<string> | undefined;
  /** Canonical symbols (`canonicalSymbol`) the consumer wants, or undefined for all. */
  readonly symbols: ReadonlySet<string> | undefined;
}

export class Dispatcher {
  private readonly byEv = new Map<string, Listener[]>();
  private readonly consumers = new Set<Consumer>();
  /** Hot-path snapshots, rebuilt by refresh(): '*' listeners and the consumers as an array. */
  private all: Listener[] | undefined = undefined;
  private consumerList: Consumer[] = [];
  /** The last `ev` dispatched and its listeners (cleared by refresh(), when listeners change). */
  private lastEv: string | undefined = undefined;
  private lastListeners: Listener[] | undefined = undefined;
  /** Whether anything wants decoded events (otherwise raw mode can skip decoding). */
  active = false;

  constructor(
    private readonly cluster: string,
    private readonly reportError: (error: PolygonStreamError) => void,
    private readonly dropped: (reason: DropReason) => void,
  ) {}

  /** An inline listener for `ev` (or `'*'` for every event). Returns its remover. */
  listen(ev: string, listener: Listener): () => void {
    const list = this.byEv.get(ev) ?? [];
    this.byEv.set(ev, [...list, listener]);
    this.refresh();
    return () => {
      const now = this.byEv.get(ev)?.filter((l) => l !== listener) ?? [];
      if (now.length > 0) this.byEv.set(ev, now);
      else this.byEv.delete(ev);
      this.refresh();
    };
  }

  /** A listener behind its own bounded queue, awaited one event at a time. */
  listenQueued(ev: string, listener: Listener, options: QueueOptions): () => void {
    const queue = this.consume({ ev: ev === '*' ? undefined : ev, ...options });
    void (async () => {
      try {
        for (;;) {
          // Events already pending are taken as they are; only an empty queue is waited on (one
          // promise per wait, not per event).
          let event = queue.shift();
          if (event === undefined) {
            const next = await queue.next();
            if (next.done === true) break;
            event = next.value;
          }
          try {
            const result = listener(event);
            // Awaited one at a time; a listener that returns no promise is not waited for.
            if (typeof result === 'object' && result !== null) await result;
          } catch (err) {
            this.reportError(handlerError('An event listener', err));
          }
        }
      } catch (err) {
        // The queue failed: its own overflow is news to the user; an error that ended the stream
        // was already reported when it did. Either way, never an unhandled rejection.
        if (err instanceof PolygonStreamError && err.code === ErrorCode.QueueOverflow) {
          this.reportError(err);
        }
      }
    })();
    return () => queue.close();
  }

  /** A bounded queue of the events matching `options`; it leaves the dispatcher when it ends. */
  consume(options: EventsOptions): BoundedQueue<WireEvent> {
    const named = [options.ev, options.unknown].flatMap((e) => (e === undefined ? [] : e));
    const evs =
      options.ev === undefined && options.unknown === undefined ? undefined : new Set(named);
    const symbols =
      options.symbols === undefined
        ? undefined
        : new Set(options.symbols.map((symbol) => canonicalSymbol(this.cluster, symbol)));
    let consumer: Consumer | undefined = undefined;
    const queue = new BoundedQueue<WireEvent>({
      ...(options.capacity === undefined ? {} : { capacity: options.capacity }),
      ...(options.overflow === undefined ? {} : { overflow: options.overflow }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      keyOf: topicOf,
      onDrop: (_event, reason) => {
        this.dropped(reason);
      },
      onEnd: () => {
        if (consumer) this.consumers.delete(consumer);
        this.refresh();
      },
    });
    consumer = { queue, evs, symbols };
    if (queue.open) this.consumers.add(consumer);
    this.refresh();
    return queue;
  }

  dispatch(event: WireEvent): void {
    const ev = event.ev;
    // Consecutive events mostly share their `ev`: one Map lookup per run of them.
    let listeners = this.lastListeners;
    if (ev !== this.lastEv) {
      listeners = this.byEv.get(ev);
      this.lastEv = ev;
      this.lastListeners = listeners;
    }
    if (listeners !== undefined) this.call(listeners, event);
    const all = this.all;
    if (all !== undefined) this.call(all, event);
    const consumers = this.consumerList;
    if (consumers.length === 0) return;
    let key: string | null | undefined; // the event's canonical symbol, once asked; null: none
    for (let i = 0; i < consumers.length; i++) {
      const c = consumers[i]!;
      if (c.evs !== undefined && !c.evs.has(event.ev)) continue;
      if (c.symbols !== undefined) {
        if (key === undefined) {
          const symbol = symbolOf(event);
          key = symbol === undefined ? null : canonicalSymbol(this.cluster, symbol);
        }
        if (key === null || !c.symbols.has(key)) continue;
      }
      c.queue.push(event);
    }
  }

  /** End every queue (the client closed). */
  closeAll(error?: PolygonStreamError): void {
    for (const c of [...this.consumers]) {
      if (error) c.queue.fail(error);
      else c.queue.close();
    }
  }

  get queueDepth(): number {
    let depth = 0;
    for (const c of this.consumers) depth += c.queue.size;
    return depth;
  }

  private call(listeners: readonly Listener[], event: WireEvent): void {
    for (let i = 0; i < listeners.length; i++) {
      try {
        const result = listeners[i]!(event);
        // An async listener: its rejection is reported like a throw, never left unhandled.
        if (typeof result === 'object' && result !== null) settle(result, this.listenerFailed);
      } catch (err) {
        this.listenerFailed(err);
      }
    }
  }

  private readonly listenerFailed = (err: unknown): void =>
    this.reportError(handlerError('An event listener', err));

  private refresh(): void {
    this.active = this.byEv.size > 0 || this.consumers.size > 0;
    this.all = this.byEv.get('*');
    this.consumerList = [...this.consumers];
    this.lastEv = this.lastListeners = undefined;
  }
}
