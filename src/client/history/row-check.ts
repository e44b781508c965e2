/**
 * The checks every REST history row passes before it becomes an event: it names the ticker asked
 * for (a row's `T` or `ticker`, a page's `ticker`), its time lies inside the window asked for and
 * never goes back (rows come oldest first), and the fields the stream delivers as numbers are
 * finite numbers. A row that fails is never delivered: the caller counts it and says why.
 */
import type { WireEvent } from '../../protocol/codec.js';
import type { HistoryRoute, HistoryWindow } from '../../protocol/rest/rest-history.js';
import { eventTime } from '../../protocol/timestamps.js';

/** Fields a tick (trade or quote) event carries as numbers, when it has them. */
const TICK_NUMBERS = ['t', 'p', 's', 'x', 'q', 'z', 'b', 'a', 'bs', 'as', 'bx', 'ax'];
/** Fields a bar event carries as numbers, when it has them. */
const BAR_NUMBERS = ['s', 'e', 'o', 'h', 'l', 'c', 'v', 'vw'];

/** A row that failed: its event time when it has a usable one, and why it failed. */
export interface RejectedRow {
  readonly time: number | undefined;
  readonly reason: string;
}

export class RowCheck {
  private last = -Infinity;
  private readonly numbers: readonly string[];

  constructor(
    route: HistoryRoute,
    private readonly ticker: string,
    private readonly window: HistoryWindow,
  ) {
    this.numbers = route.endpoint === 'aggs' ? BAR_NUMBERS : TICK_NUMBERS;
  }

  /**
   * Why a row (converted to `event`, undefined when it had no time) must not be delivered, or
   * undefined when it may. `pageTicker`: the ticker the page says it is for, if it says.
   */
  reject(
    row: Readonly<Record<string, unknown>>,
    event: WireEvent | undefined,
    pageTicker: string | undefined,
  ): RejectedRow | undefined {
    const time = event === undefined ? undefined : eventTime(event);
    const named = pageTicker ?? stringField(row, 'T') ?? stringField(row, 'ticker');
    if (named !== undefined && named !== this.ticker) {
      return { time: undefined, reason: `a row for ticker ${named}, not ${this.ticker}` };
    }
    if (event === undefined || time === undefined || !Number.isSafeInteger(time)) {
      return { time: undefined, reason: 'a row without a usable time' };
    }
    if (time < this.window.from || time >= this.window.to) {
      return {
        time: undefined,
        reason: `a row at ${time}, outside the window asked for [${this.window.from}, ${this.window.to})`,
      };
    }
    if (time < this.last) {
      return { time, reason: `a row at ${time} after one at ${this.last}: rows out of time order` };
    }
    for (const field of this.numbers) {
      // Forex quotes carry the pair in `p`.
      if (field === 'p' && event.ev === 'C') continue;
      const value = event[field];
      if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value))) {
        return { time, reason: `a row whose ${field} is ${JSON.stringify(value)}, not a number` };
      }
    }
    this.last = time;
    return undefined;
  }
}

function stringField(row: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const v = row[name];
  return typeof v === 'string' ? v : undefined;
}
