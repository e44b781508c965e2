/**
 * What a protocol server session needs from the server and its source: who may connect, how each
 * topic is answered, the limits, and the hooks the session calls. The simulator and the relay
 * implement the source; protocol-server.ts implements the host.
 */
import type { ClientMessage } from '../protocol/codec.js';
import type { Cluster } from '../protocol/streams.js';
import type { ServerConnection } from './server-connection.js';

/** What a source sees of a session. */
export interface SessionInfo extends ServerConnection {
  readonly cluster: Cluster;
  /** The peer's address, for rate limits. */
  readonly remoteAddress: string;
}

/**
 * How the source answers one subscribe or unsubscribe of a well-formed topic the cluster carries:
 * acknowledge it, hold it without a word, or refuse it with the given text (an `error` status).
 * A promise answers later (the topic is held meanwhile and dropped again if refused).
 */
export type TopicAnswer = 'ack' | 'silent' | { refuse: string };

/** A key's verdict, given after `delayMs` (a source slowing down failing attempts). */
export interface AuthVerdict {
  ok: boolean;
  delayMs: number;
}

/** Who may connect and how each topic is answered: decided by the source behind the server. */
export interface SessionPolicy {
  authenticate(key: string, session: SessionInfo): boolean | AuthVerdict;
  answer(
    session: SessionInfo,
    action: 'subscribe' | 'unsubscribe',
    topic: string,
    key: string,
  ): TopicAnswer | Promise<TopicAnswer>;
}

/**
 * What a session (of type `S`) needs from its server: the source's policy, its limits and its
 * hooks.
 */
export interface SessionHost<S> {
  readonly policy: SessionPolicy;
  readonly authTimeoutMs: number;
  readonly slowConsumerBytes: number;
  /** Bytes a client may send before it has authenticated (framing included). */
  readonly maxUnauthenticatedBytes: number;
  /** Bytes of recent client messages kept in `received` (0: none). */
  readonly messageLogBytes: number;
  /** A refusal text when the source turns away a client that just authenticated. */
  admit(session: S): string | undefined;
  /** Delay of subscribe/unsubscribe replies, ms. */
  replyDelayMs(): number;
  /** Whether pings are answered (a fault can stall every connection's pongs). */
  answersPings(): boolean;
  onAuthenticated(session: S): void;
  onMessage(session: S, msg: ClientMessage): void;
  onSubscriptionChange(session: S, action: 'subscribe' | 'unsubscribe'): void;
  onSlowConsumer(session: S): void;
  onClose(session: S): void;
}

/** Close codes the server uses. */
export const CloseCode = { PolicyViolation: 1008, GoingAway: 1001, MessageTooBig: 1009 } as const;
