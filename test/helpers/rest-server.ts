/**
 * A purpose-built REST server on 127.0.0.1, port 0, for the history tests: each request is
 * answered by the test's handler (status, JSON body, headers, an optional delay or a hang), and
 * recorded with its arrival time, its Authorization header and how many were in flight.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RestRequest {
  /** Path and query, as received. */
  readonly url: string;
  readonly authorization: string | undefined;
  /** Arrival, ms since the server started. */
  readonly at: number;
  /** 0-based arrival index. */
  readonly n: number;
}

export interface RestReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Never answer (the connection is cut when the server closes). */
  hang?: boolean;
}

export interface RestServer {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `ws://127.0.0.1:PORT`: a client host whose REST base is this server. */
  readonly wsHost: string;
  readonly requests: RestRequest[];
  /** The most requests ever in flight at once. */
  readonly maxInFlight: number;
  close(): Promise<void>;
}

export async function startRestServer(
  handler: (req: RestRequest) => RestReply,
): Promise<RestServer> {
  const started = Date.now();
  const requests: RestRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const r: RestRequest = {
      url: req.url ?? '',
      authorization: req.headers.authorization,
      at: Date.now() - started,
      n: requests.length,
    };
    requests.push(r);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const reply = handler(r);
    if (reply.hang) return;
    const send = (): void => {
      res.writeHead(reply.status ?? 200, {
        'content-type': 'application/json',
        ...reply.headers,
      });
      res.end(JSON.stringify(reply.body ?? {}));
    };
    if (!reply.delayMs) return send();
    const timer = setTimeout(() => {
      timers.delete(timer);
      send();
    }, reply.delayMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    wsHost: `ws://127.0.0.1:${port}`,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
