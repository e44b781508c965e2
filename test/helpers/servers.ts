/**
 * Purpose-built tiny servers for the reliability tests, for what the simulator deliberately does
 * not do: old status spellings, a peer that goes silent at the TCP level (half-open), a server that
 * hangs up mid-handshake, one that never answers it, one that refuses the upgrade with an HTTP
 * status, a port nobody listens on. Plus a logger that records every line.
 */
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientMessage } from '../../src/protocol/codec.js';
import type { Logger } from '../../src/client/logger.js';
import { startSimulator, type SimulatorOptions } from '../../src/simulator/index.js';

// ---- recording logger -----------------------------------------------------------------------

/** A logger that keeps every line (level, message and fields) as text. */
export function recordingLogger(lines: string[]): Logger {
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(`${level} ${message}${fields === undefined ? '' : ` ${JSON.stringify(fields)}`}`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Everything an error carries as text: message, details, and its causes. */
export function errorText(error: unknown, depth = 0): string {
  if (!(error instanceof Error)) return String(error);
  const details = (error as { details?: unknown }).details;
  const parts = [error.name, error.message, error.stack ?? ''];
  if (details !== undefined) parts.push(JSON.stringify(details));
  if (error.cause !== undefined && depth < 5) parts.push(errorText(error.cause, depth + 1));
  return parts.join(' | ');
}

// ---- a scripted WebSocket server ------------------------------------------------------------

export interface StatusReply {
  status: string;
  message: string;
}

export interface ScriptedOptions {
  /** Status sent when a client connects (undefined: nothing). */
  connect?: StatusReply;
  /** Reply to `auth` (undefined: no reply at all). A function gets the key. */
  auth?: StatusReply | ((key: string) => StatusReply) | undefined;
  /** Ack every subscribed / unsubscribed topic with `success` (default true). */
  ack?: boolean;
  /** Replies to a subscribe instead of acks (gets the topics and the key the client sent). */
  onSubscribe?: (topics: string[], key: string) => StatusReply[];
  /**
   * Frames sent as they are right after the auth reply (gets the key the client sent): strings as
   * text frames, bytes as binary frames.
   */
  afterAuth?: (key: string) => readonly (string | Uint8Array)[];
}

export interface ScriptedConnection {
  readonly received: ClientMessage[];
  readonly ws: WebSocket;
}

export interface ScriptedServer {
  readonly url: string;
  readonly connections: ScriptedConnection[];
  close(): Promise<void>;
}

const frame = (s: StatusReply): string => JSON.stringify([{ ev: 'status', ...s }]);

/** A WebSocket server on 127.0.0.1:0 (any path) that answers as scripted. */
export async function startScriptedServer(options: ScriptedOptions): Promise<ScriptedServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const connections: ScriptedConnection[] = [];
  wss.on('connection', (ws) => {
    const conn: ScriptedConnection = { received: [], ws };
    connections.push(conn);
    ws.on('error', () => undefined);
    if (options.connect) ws.send(frame(options.connect));
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as ClientMessage;
      conn.received.push(msg);
      if (msg.action === 'auth') {
        const reply = typeof options.auth === 'function' ? options.auth(msg.params) : options.auth;
        if (reply) ws.send(frame(reply));
        for (const data of options.afterAuth?.(msg.params) ?? []) ws.send(data);
      } else if (msg.action === 'subscribe' && options.onSubscribe) {
        const key = conn.received.find((m) => m.action === 'auth')?.params ?? '';
        for (const reply of options.onSubscribe(msg.params.split(','), key)) ws.send(frame(reply));
      } else if (options.ack ?? true) {
        const verb = msg.action === 'subscribe' ? 'subscribed' : 'unsubscribed';
        for (const topic of msg.params.split(',')) {
          ws.send(frame({ status: 'success', message: `${verb} to: ${topic}` }));
        }
      }
    });
  });
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

// ---- raw TCP servers ------------------------------------------------------------------------

export interface RawServer {
  readonly url: string;
  /** TCP connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** One unmasked server text frame. */
function textFrame(text: string): Buffer {
  const body = Buffer.from(text);
  const head =
    body.length < 126
      ? Buffer.from([0x81, body.length])
      : Buffer.from([0x81, 126, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([head, body]);
}

async function rawServer(onSocket: (socket: Socket) => void): Promise<RawServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A half-open peer: completes the WebSocket handshake, says `connected` and `auth_success`, then
 * never sends another byte (no pong, no close frame) while keeping the TCP connection up.
 */
export function startBlackHoleServer(): Promise<RawServer> {
  return rawServer((socket) => {
    let head = '';
    let upgraded = false;
    socket.on('data', (chunk: Buffer) => {
      if (upgraded) return; // swallow everything: pings, auth, close frames
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      upgraded = true;
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
      const accept = createHash('sha1')
        .update(key + WS_GUID)
        .digest('base64');
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      socket.write(textFrame(frame({ status: 'connected', message: 'Connected Successfully' })));
      // Answer auth without reading it: the client sends it right after the handshake.
      setTimeout(() => {
        if (!socket.destroyed) {
          socket.write(textFrame(frame({ status: 'auth_success', message: 'authenticated' })));
        }
      }, 5);
    });
  });
}

/** A server that accepts TCP and destroys the socket as soon as the HTTP upgrade request arrives. */
export function startHangupServer(): Promise<RawServer> {
  return rawServer((socket) => {
    socket.once('data', () => socket.destroy());
  });
}

/** A server that accepts TCP and never answers: the WebSocket handshake hangs. */
export function startSilentServer(): Promise<RawServer> {
  return rawServer(() => undefined);
}

/** An HTTP server that answers every WebSocket upgrade with `status` (404, 401 …). */
export async function startHttpStatusServer(status: number): Promise<RawServer> {
  return rawServer((socket) => {
    socket.once('data', () =>
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      ),
    );
  });
}

/** A port on 127.0.0.1 that nobody listens on (a server was bound to it and closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---- a simulator on its own thread ----------------------------------------------------------

export interface WorkerSimulator {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The simulator in a worker thread: it keeps answering (pongs included) while the test's main
 * thread is blocked, as a remote server would.
 */
export async function startWorkerSimulator(
  options: SimulatorOptions = {},
): Promise<WorkerSimulator> {
  // A worker does not inherit the tsx loader: register it, then load this very module.
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: { role: WORKER_ROLE, options } });
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('message', (m: string) => resolve(m));
    worker.once('error', reject);
  });
  return {
    url,
    close: async () => {
      worker.postMessage('close');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}

const WORKER_ROLE = 'polygon-stream-test-simulator';

if (!isMainThread && (workerData as { role?: string } | null)?.role === WORKER_ROLE) {
  const { options } = workerData as { options: SimulatorOptions };
  const sim = await startSimulator(options);
  parentPort!.postMessage(sim.url);
  parentPort!.once('message', () => {
    void sim.close().then(() => parentPort!.close());
  });
}
