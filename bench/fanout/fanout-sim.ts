/**
 * bench/fanout/fanout.ts's simulator child (`--role sim`): a simulator the bench's clients connect
 * to, fed either with prebuilt frames of numbered trades (`--feed publish`: the sequence number `q`
 * rises per symbol, published while every connection keeps up) or with its own tape at `--rate`
 * (`--feed generated`). It sends `{ type: 'ready', url }` once listening, answers 'cpu' with its
 * CPU time so far (`{ type: 'cpu', ms }`), and stops on 'stop' or when the parent goes away.
 */
import type { WireEvent } from '../../src/index.js';
import { startSimulator } from '../../src/simulator/index.js';

export type FromSim = { type: 'ready'; url: string } | { type: 'cpu'; ms: number };

/** `--feed publish`: trades per frame, and the most bytes queued on a connection before waiting. */
const FRAME_EVENTS = 100;
const MAX_QUEUED_BYTES = 4 << 20;
const SYMBOLS = Array.from({ length: 55 }, (_, i) => `S${String(i).padStart(2, '0')}`);

/** The child's work: the simulator at `rate` with `feed` (`publish` or `generated`), until told to stop. */
export async function simChild(rate: number, feed: string): Promise<void> {
  const generated = feed === 'generated';
  const sim = await startSimulator({
    eventsPerSecond: generated ? rate : 0,
    tickMs: 10,
    slowConsumerBytes: 1 << 30, // the client may lag behind while it publishes: do not cut it off
  });
  if (!generated) {
    // Frames of numbered trades (q rising per symbol), published while the connections keep up.
    const seq = new Map<string, number>();
    let n = 0;
    const frame = (): WireEvent[] =>
      Array.from({ length: FRAME_EVENTS }, () => {
        const sym = SYMBOLS[n++ % SYMBOLS.length]!;
        const q = (seq.get(sym) ?? 0) + 1;
        seq.set(sym, q);
        const t = Date.now();
        return {
          ev: 'T',
          sym,
          x: 4,
          i: String(n),
          z: 3,
          p: 100 + (n % 97) / 8,
          s: 100,
          c: [0, 12],
          t,
          q,
        };
      });
    const pump = (): void => {
      const conns = sim.connections();
      if (conns.length > 0 && conns.every((c) => c.bufferedAmount < MAX_QUEUED_BYTES)) {
        for (let k = 0; k < 10; k++) sim.publish('stocks', frame());
        setImmediate(pump);
      } else {
        // Nobody to feed, or a connection is full: look again shortly instead of spinning, so the
        // simulator's CPU time is its publishing alone.
        setTimeout(pump, 1);
      }
    };
    pump();
  }
  const stop = (): void => void sim.close().finally(() => process.exit(0));
  process.on('disconnect', stop);
  process.on('message', (m) => {
    if (m === 'stop') stop();
    if (m === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ type: 'cpu', ms: (user + system) / 1000 } satisfies FromSim);
    }
  });
  process.send?.({ type: 'ready', url: sim.url } satisfies FromSim);
}
