/**
 * bench/fanout/fanout.ts's results: what the consumers got, tallied against what was published
 * (lost, duplicated, never published, out of order by (symbol, sequence number)), and the row (or
 * JSON line) it prints on stdout.
 */

/** Sequence numbers by symbol. */
export type Seqs = Record<string, number[]>;

/** A consumer's last message: its event count, when it handled the last, what it saw, its CPU. */
export interface ConsumerFinal {
  count: number;
  lastAt: number;
  seen: Seqs;
  cpuMs: number;
}

export interface FanoutTally {
  /** Events the consumers got, all together. */
  total: number;
  /** When the last event was handled by any consumer. */
  lastAt: number;
  /** Published, handled by no consumer. */
  lost: number;
  /** Handled more than once (each extra time counted). */
  dup: number;
  /** Handled, never published. */
  unknown: number;
  /** With partitions: a consumer saw a symbol's sequence number not above the one before. */
  outOfOrder: number;
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `published`: the sequence numbers the sink wrote, by symbol; `finals`: every consumer's. */
export function tallyFanout(
  published: Map<string, number[]>,
  finals: readonly ConsumerFinal[],
  partitions: number,
): FanoutTally {
  // Lost / duplicated by (sym, q).
  const got = new Map<string, Map<number, number>>();
  let total = 0;
  let lastAt = 0;
  for (const f of finals) {
    total += f.count;
    lastAt = Math.max(lastAt, f.lastAt);
    for (const [sym, qs] of Object.entries(f.seen)) {
      let m = got.get(sym);
      if (!m) got.set(sym, (m = new Map()));
      for (const q of qs) m.set(q, (m.get(q) ?? 0) + 1);
    }
  }
  let lost = 0;
  let dup = 0;
  let unknown = 0;
  // With partitions, each consumer sees each symbol's events in order.
  let outOfOrder = 0;
  if (partitions > 1) {
    for (const f of finals) {
      for (const qs of Object.values(f.seen)) {
        for (let i = 1; i < qs.length; i++) if (qs[i]! <= qs[i - 1]!) outOfOrder++;
      }
    }
  }
  for (const [sym, qs] of published) {
    const m = got.get(sym);
    for (const q of qs) if (!m?.has(q)) lost++;
  }
  for (const [sym, m] of got) {
    const sent = new Set(published.get(sym));
    for (const [q, n] of m) {
      dup += n - 1;
      if (!sent.has(q)) unknown++;
    }
  }
  return { total, lastAt, lost, dup, unknown, outOfOrder };
}

/** One run's figures, as the JSON line holds them. */
export interface FanoutRow {
  consumers: number;
  partitions: number;
  events: number;
  evPerSec: number;
  lost: number;
  dup: number;
  outOfOrder: number;
  dropped: number;
  ms: number;
  clientAloneEvPerSec: number;
  ratio: number;
  target: number;
  pass: boolean;
  /** CPU per event of every process on the path (simulator, client + sink, Redis, consumers). */
  cpuUsPerEvent: number;
  cores: number;
  /** The most events/s the machine's cores can run at that cost. */
  ceilingEvPerSec: number;
}

/** The run's row on stdout, or with `json` one line `{"fanout": {…}}`. */
export function printFanout(row: FanoutRow, json: boolean): void {
  if (json) {
    console.log(JSON.stringify({ fanout: row }));
    return;
  }
  const { partitions: p, consumers, events, evPerSec, ratio, clientAloneEvPerSec } = row;
  console.log(
    `fan-out  simulator→client→Redis (${p} partition${p > 1 ? 's' : ''})→${consumers} consumers  ${fmt(events)} events  ` +
      `${fmt(evPerSec)} ev/s  = ${ratio.toFixed(2)}× the client alone (${fmt(clientAloneEvPerSec)} ev/s)  ` +
      `lost ${row.lost}  dup ${row.dup}` +
      (p > 1 ? `  out of order ${row.outOfOrder}` : '') +
      `  ${row.pass ? 'PASS' : 'FAIL'} (target ≥ ${fmt(row.target)} ev/s, nothing lost or duplicated` +
      (p > 1 ? ', each symbol in order)' : ')') +
      `  [all processes ${row.cpuUsPerEvent.toFixed(1)} µs CPU/event: ${row.cores} cores allow ≤ ${fmt(row.ceilingEvPerSec)} ev/s]`,
  );
}
