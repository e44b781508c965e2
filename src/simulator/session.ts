/**
 * One simulated session: the protocol state machine (connected → authenticated → subscribed), its
 * acknowledgements and faults, its generated data and its timers. The server owns the socket
 * lifecycle across sessions (routing, eviction, publish, replay); this file owns one session.
 */
import WebSocket from 'ws';
import {
  ackMessage,
  decodeAction,
  decodeTopics,
  encodeEvents,
  status,
  type ClientMessage,
  type WireEvent,
} from '../protocol/codec.js';
import { isPolygonStreamError } from '../errors.js';
import { streamsOfCluster, type Cluster } from '../protocol/streams.js';
import { DataFeed } from './feed.js';
import { covers, splitTopic, topicKey } from '../protocol/symbols.js';
import type { SimConnection, SimulatorFaults } from './types.js';
import type { Universe } from './universe.js';
import { MAX_TIMER_MS } from '../validate.js';

/** What a session needs from its server. */
export interface SessionHost {
  readonly faults: SimulatorFaults;
  readonly universe: Universe;
  readonly apiKeys: 'any' | readonly string[];
  readonly authTimeoutMs: number;
  readonly slowConsumerBytes: number;
  readonly tickMs: number;
  readonly windowScale: number;
  /** False when replaying: sessions then generate nothing themselves. */
  readonly generating: boolean;
  eventsPerSecond(): number;
  onAuthenticated(session: Session): void;
  onMessage(session: Session, msg: ClientMessage): void;
  onSubscribed(session: Session): void;
  onClose(session: Session): void;
}

/** Close codes the simulator uses. */
export const CloseCode = { PolicyViolation: 1008, GoingAway: 1001 } as const;

const AUTH_FAILED = 'authentication failed';

export class Session implements SimConnection {
  apiKey: string | undefined;
  authenticated = false;
  readonly received: ClientMessage[] = [];
  /** Topic as the client spelled it → canonical key. */
  private readonly topics = new Map<string, string>();
  private readonly topicSet = new Set<string>();
  /** Canonical key → how many held topics have it (two spellings may share one key). */
  private readonly keys = new Map<string, number>();
  private pongsStalled = false;
  private dataPaused = false;
  private closed = false;
  private authTimer: NodeJS.Timeout | undefined;
  private dataTimer: NodeJS.Timeout | undefined;
  private readonly ackTimers = new Set<NodeJS.Timeout>();
  private readonly feed: DataFeed;

  /** Whether the client negotiated permessage-deflate. */
  get compressed(): boolean {
    return this.ws.extensions.includes('permessage-deflate');
  }

  constructor(
    readonly id: number,
    readonly cluster: Cluster,
    private readonly ws: WebSocket,
    private readonly host: SessionHost,
  ) {
    this.feed = new DataFeed(cluster, host.universe, host.windowScale);
    ws.on('message', (data: WebSocket.RawData) => this.handle(rawText(data)));
    ws.on('ping', (data: Buffer) => {
      if (!this.pongsStalled && !host.faults.stallPongs && this.isOpen()) ws.pong(data);
    });
    ws.on('error', () => this.dispose());
    ws.on('close', () => this.dispose());
    this.authTimer = setTimeout(() => {
      this.authTimer = undefined;
      if (!this.authenticated) {
        this.sendStatus('auth_timeout', 'authentication timed out', {
          code: CloseCode.PolicyViolation,
          reason: 'auth timeout',
        });
      }
    }, host.authTimeoutMs);
    this.sendStatus('connected', 'Connected Successfully');
  }

  get subscriptions(): ReadonlySet<string> {
    return this.topicSet;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- SimConnection ------------------------------------------------------------------------

  drop(): void {
    this.ws.terminate();
  }

  stallPongs(on = true): void {
    this.pongsStalled = on;
  }

  pauseData(on = true): void {
    this.dataPaused = on;
  }

  sendRaw(text: string): void {
    if (this.isOpen()) this.ws.send(text);
  }

  sendStatus(s: string, message: string, close?: { code: number; reason?: string }): void {
    this.sendText(encodeEvents([status(s, message)]));
    if (close) this.closeWith(close.code, close.reason);
  }

  forceDisconnect(message = 'The server has forced this connection to close.'): void {
    this.sendStatus('force_disconnect', message, {
      code: CloseCode.GoingAway,
      reason: 'force disconnect',
    });
  }

  // ---- server side --------------------------------------------------------------------------

  /** Evicted by a newer connection on the same cluster and key. */
  evict(message: string): void {
    this.sendStatus('max_connections', message, {
      code: CloseCode.PolicyViolation,
      reason: 'max connections',
    });
  }

  /**
   * Send the events this session is subscribed to, as one frame. `keys[i]` is the canonical topic
   * key of `events[i]`. Returns how many were sent.
   */
  deliver(
    events: readonly WireEvent[],
    keys: readonly (string | undefined)[],
    data: boolean,
  ): number {
    if (!this.authenticated || (data && this.dataPaused) || this.topicSet.size === 0) return 0;
    const batch: WireEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      const key = keys[i];
      const event = events[i] as WireEvent;
      if (key !== undefined && covers(this.keys, event.ev, key)) batch.push(event);
    }
    if (batch.length === 0) return 0;
    return this.sendText(encodeEvents(batch)) ? batch.length : 0;
  }

  /** Close the socket now (server shutdown). */
  terminate(): void {
    this.dispose();
    this.ws.terminate();
  }

  /** Stop every timer of this session; idempotent. The server is told once. */
  dispose(): void {
    this.stopTimers();
    if (this.closed) return;
    this.closed = true;
    this.host.onClose(this);
  }

  // ---- protocol -----------------------------------------------------------------------------

  private handle(text: string): void {
    if (this.closed) return;
    let msg: ClientMessage;
    try {
      msg = decodeAction(text);
    } catch (err) {
      const reason = isPolygonStreamError(err) ? String(err.details.reason) : 'unreadable message';
      this.sendStatus('error', `invalid message: ${reason}`);
      return;
    }
    this.received.push(msg);
    switch (msg.action) {
      case 'auth':
        this.auth(msg.params);
        break;
      case 'subscribe':
      case 'unsubscribe':
        this.subscription(msg.action, msg.params);
        break;
      default:
        this.sendStatus('error', `unknown action: ${String(msg.action)}`);
    }
    this.host.onMessage(this, msg);
  }

  private auth(key: string): void {
    if (this.authenticated) {
      this.sendStatus('error', 'already authenticated');
      return;
    }
    this.apiKey = key;
    const keys = this.host.apiKeys;
    const ok = key.length > 0 && (keys === 'any' || keys.includes(key));
    if (!ok) {
      this.sendStatus('auth_failed', AUTH_FAILED, {
        code: CloseCode.PolicyViolation,
        reason: AUTH_FAILED,
      });
      return;
    }
    this.authenticated = true;
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
    this.sendStatus('auth_success', 'authenticated');
    if (this.host.generating) {
      this.dataTimer = setInterval(() => this.tick(), this.host.tickMs);
    }
    this.host.onAuthenticated(this);
  }

  private subscription(action: 'subscribe' | 'unsubscribe', params: string): void {
    if (!this.authenticated) {
      this.sendStatus('auth_required', 'authentication required');
      return;
    }
    const { faults } = this.host;
    const carried = new Set(streamsOfCluster(this.cluster).map((s) => s.prefix));
    const replies: string[] = [];
    let changed = false;
    for (const topic of decodeTopics(params)) {
      const rejection = action === 'subscribe' ? faults.rejectTopics.get(topic) : undefined;
      if (rejection !== undefined) {
        replies.push(encodeEvents([status('error', rejection)]));
        continue;
      }
      const key = topicKey(this.cluster, topic);
      const prefix = splitTopic(topic)?.prefix;
      if (key === undefined || prefix === undefined || !carried.has(prefix)) {
        const text = `invalid topic for ${this.cluster}: ${topic}`;
        replies.push(encodeEvents([status('error', text)]));
        continue;
      }
      if (action === 'subscribe') {
        if (this.topics.has(topic)) continue; // already held: the real server says nothing
        this.topics.set(topic, key);
        this.topicSet.add(topic);
        this.keys.set(key, (this.keys.get(key) ?? 0) + 1);
      } else if (this.topics.delete(topic)) {
        this.topicSet.delete(topic);
        const held = (this.keys.get(key) ?? 1) - 1;
        if (held > 0) this.keys.set(key, held);
        else this.keys.delete(key);
      }
      changed = true;
      if (!faults.silentTopics.has(topic)) {
        replies.push(encodeEvents([status('success', ackMessage(action, topic))]));
      }
    }
    if (changed) {
      this.feed.invalidate();
      if (action === 'subscribe') this.host.onSubscribed(this);
    }
    this.reply(replies, faults.ackDelayMs);
  }

  /** Send subscription replies, one frame each, now or after the configured delay. */
  private reply(frames: string[], delayMs: number): void {
    if (frames.length === 0) return;
    if (!(delayMs > 0)) {
      for (const f of frames) this.sendText(f);
      return;
    }
    // Longer than a timer honours (Infinity included) is as good as never: the longest timer.
    const ms = Math.min(delayMs, MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.ackTimers.delete(timer);
      for (const f of frames) this.sendText(f);
    }, ms);
    this.ackTimers.add(timer);
  }

  // ---- generated data -----------------------------------------------------------------------

  private tick(): void {
    if (!this.isOpen() || this.dataPaused || this.topics.size === 0) {
      this.feed.reset();
      return;
    }
    const { tickMs } = this.host;
    const events = this.feed.tick(this.topics.keys(), this.host.eventsPerSecond(), tickMs);
    if (events.length > 0) this.sendText(encodeEvents(events));
  }

  // ---- transport ----------------------------------------------------------------------------

  private isOpen(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send a frame unless the client is too far behind, in which case it is cut off. */
  private sendText(text: string): boolean {
    if (!this.isOpen()) return false;
    if (this.ws.bufferedAmount > this.host.slowConsumerBytes) {
      this.slowConsumer();
      return false;
    }
    this.ws.send(text);
    return true;
  }

  private slowConsumer(): void {
    // Best effort: the client is not reading, so this status most likely never arrives.
    this.ws.send(
      encodeEvents([status('slow_consumer', 'slow consumer: too many messages buffered')]),
    );
    this.stopTimers();
    this.ws.terminate();
  }

  private closeWith(code: number, reason = ''): void {
    this.stopTimers();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code, reason);
    }
  }

  private stopTimers(): void {
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
    clearInterval(this.dataTimer);
    this.dataTimer = undefined;
    for (const t of this.ackTimers) clearTimeout(t);
    this.ackTimers.clear();
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
