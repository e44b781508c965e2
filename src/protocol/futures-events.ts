/**
 * Typed futures events (the `futures` cluster and its per-exchange paths). Futures reuse the stock
 * codes T, Q, A, AM with other fields: the cluster decides the shape (events.ts maps each futures
 * cluster to these). Fields from the provider's futures field tables (see FUTURES-AND-HOSTS.md);
 * fields the tables do not name (a sample's `z`) are kept on the object but not typed.
 */

/** A futures trade (`T.*` on a futures cluster): no exchange, conditions or trade id. */
export interface FuturesTrade {
  /** The event type. */ readonly ev: 'T';
  /** The contract ticker (`ESZ5`: product root, month code, one-digit year). */ readonly sym: string;
  /** The price per unit of the underlying (× the contract multiplier = contract value). */ readonly p: number;
  /** Contracts traded. */ readonly s: number;
  /** The trade time (Unix ms). */ readonly t: number;
  /** Sequence number: unique and increasing per ticker, with gaps. */ readonly q: number;
}

/**
 * A futures top-of-book quote (`Q.*` on a futures cluster). Either side may be absent (the
 * provider documents every side field as optional); there is no sequence number.
 */
export interface FuturesQuote {
  /** The event type. */ readonly ev: 'Q';
  /** The contract ticker. */ readonly sym: string;
  /** The bid price, per unit of the underlying. */ readonly bp?: number;
  /** Contracts at the bid. */ readonly bs?: number;
  /** When the bid was entered at the exchange (Unix ms, as the samples show). */ readonly bt?: number;
  /** The ask price, per unit of the underlying. */ readonly ap?: number;
  /** Contracts at the ask. */ readonly as?: number;
  /** When the ask was entered at the exchange (Unix ms, as the samples show). */ readonly at?: number;
  /** The quote time (Unix ms). */ readonly t: number;
}

/**
 * A futures aggregate bar (`A.*` per second, `AM.*` per minute), built from every trade; a window
 * without trades has no bar. Unlike equity bars: no `av`, `op`, `vw`, `a`, `z`.
 */
export interface FuturesAggregate<E extends 'A' | 'AM' = 'A' | 'AM'> {
  /** The event type: `A` per second, `AM` per minute. */ readonly ev: E;
  /** The contract ticker. */ readonly sym: string;
  /** Contracts traded in the window. */ readonly v: number;
  /** The value traded in the window, USD (the provider's own definition is vague). */ readonly dv: number;
  /** The window's opening price. */ readonly o: number;
  /** The window's highest price. */ readonly h: number;
  /** The window's lowest price. */ readonly l: number;
  /** The window's closing price. */ readonly c: number;
  /** Trades in the window. */ readonly n: number;
  /** The window's start (Unix ms). */ readonly s: number;
  /** The window's end (Unix ms). */ readonly e: number;
}
