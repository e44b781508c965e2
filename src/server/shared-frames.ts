/**
 * One batch of published events, filtered and encoded once per distinct topic set: sessions that
 * hold the same canonical keys get the same frame, one Buffer handed to each of their sockets, so
 * fan-out costs no per-client filtering, encoding, framing or copying.
 */
import * as ws from 'ws';
import { encodeEvents, type WireEvent } from '../protocol/codec.js';
import { covers } from '../protocol/symbols.js';

/** `ws`'s framing: its `Sender` export (public, though not in its type declarations). */
const { Sender } = ws as unknown as {
  Sender: {
    frame(
      data: Buffer,
      options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean },
    ): Buffer[];
  };
};
const TEXT_OPCODE = 1;

/** What a session holds, for routing: its canonical keys, and a string naming that key set. */
export interface HeldKeys {
  /** Equal for two sessions exactly when they hold the same canonical keys. */
  readonly signature: string;
  readonly keys: ReadonlyMap<string, number>;
}

/** The events one session gets from a batch, as one encoded text frame; never modified. */
export class SharedFrame {
  private framed: Buffer | undefined;

  constructor(
    readonly events: number,
    /** The frame's UTF-8 text, for `ws`'s `send` (a session with compression). */
    readonly payload: Buffer,
  ) {}

  /**
   * The whole unmasked, uncompressed WebSocket text frame (header and payload), framed once, for
   * writing straight to the socket of a session without compression.
   */
  get wire(): Buffer {
    return (this.framed ??= Buffer.concat(
      Sender.frame(this.payload, {
        fin: true,
        opcode: TEXT_OPCODE,
        mask: false,
        readOnly: true,
        rsv1: false,
      }),
    ));
  }
}

export class SharedFrames {
  /** Key-set signature → its frame (undefined: the set covers none of the events). */
  private readonly frames = new Map<string, SharedFrame | undefined>();

  /**
   * `keys[i]` is the canonical topic key of `events[i]` (undefined: no session gets it); `raw`,
   * when given, is `events` already encoded, used as it is for a key set covering all of them.
   */
  constructor(
    private readonly events: readonly WireEvent[],
    private readonly keys: readonly (string | undefined)[],
    private readonly raw?: string,
  ) {}

  /** The frame for a session holding `held`; built on the first ask for that key set. */
  for(held: HeldKeys): SharedFrame | undefined {
    const signature = held.signature;
    if (this.frames.has(signature)) return this.frames.get(signature);
    const frame = this.build(held.keys);
    this.frames.set(signature, frame);
    return frame;
  }

  private build(held: ReadonlyMap<string, number>): SharedFrame | undefined {
    const batch: WireEvent[] = [];
    for (let i = 0; i < this.events.length; i++) {
      const key = this.keys[i];
      const event = this.events[i] as WireEvent;
      if (key !== undefined && covers(held, event.ev, key)) batch.push(event);
    }
    if (batch.length === 0) return undefined;
    const all = this.raw !== undefined && batch.length === this.events.length;
    return new SharedFrame(batch.length, Buffer.from(all ? this.raw! : encodeEvents(batch)));
  }
}
