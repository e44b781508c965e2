/**
 * Serves the browser quote board against the embedded simulator:
 *
 *   npm run example:browser            (builds, then prints the URL to open)
 *   npm run example:browser -- --port 8080
 *
 * One HTTP server on 127.0.0.1 serves index.html, board.js and the package's standard build as
 * /polygon-stream.js (dist/browser.js: `npm run example:browser` builds it when the sources
 * changed; run `node scripts/build.mjs browser` first when calling serveBoard yourself); the
 * simulator listens on its own port, and the printed URL tells the page where.
 *
 * It also answers POST /probe: a browser is never told why a WebSocket failed, so the page asks
 * this server, which makes the same connection with the Node client and says what happened
 * (refused, unknown host, HTTP status, TLS, bad key). A page served from elsewhere says less.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { StreamClient, type Cluster, type PolygonStreamError } from 'polygon-stream';
import { startSimulator, type Simulator, type SimulatorOptions } from 'polygon-stream/simulator';

const FILES: Record<string, { file: URL; type: string }> = {
  '/': { file: new URL('./index.html', import.meta.url), type: 'text/html' },
  '/index.html': { file: new URL('./index.html', import.meta.url), type: 'text/html' },
  '/board.js': { file: new URL('./board.js', import.meta.url), type: 'text/javascript' },
  '/why.js': { file: new URL('./why.js', import.meta.url), type: 'text/javascript' },
  '/polygon-stream.js': {
    file: new URL('../../dist/browser.js', import.meta.url),
    type: 'text/javascript',
  },
};

/** What /probe found when it made the page's connection itself. */
export type ProbeResult = { ok: true } | { ok: false; code: string; message: string };

/**
 * Makes the connection the page failed to make, with the Node client (which sees the socket's
 * error: refused, DNS, TLS, the HTTP status of a refused upgrade) and no reconnects; resolves to
 * the error's code and words (the key is masked in them), or ok once authenticated.
 */
export async function probe(host: string, key: string, cluster: string): Promise<ProbeResult> {
  let client: StreamClient | undefined;
  try {
    client = new StreamClient(key, cluster as Cluster, {
      host,
      reconnect: false,
      firstConnectTimeoutMs: 5_000,
      onError: () => {},
      onClose: () => {},
    });
    await client.startStreamThread();
    return { ok: true };
  } catch (err) {
    const { code = 'UNKNOWN', message } = err as PolygonStreamError;
    return { ok: false, code, message };
  } finally {
    await client?.closeStream();
  }
}

export interface BoardServer {
  /** The page, with the simulator's address in its query. */
  url: string;
  /** Base URL of the HTTP server. */
  origin: string;
  sim: Simulator;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 10_000) req.destroy(new Error('too long'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

export async function serveBoard(
  options: { port?: number; simulator?: SimulatorOptions } = {},
): Promise<BoardServer> {
  const sim = await startSimulator({ eventsPerSecond: 40, ...options.simulator });
  const server: Server = createServer((req, res) => {
    const { pathname: path } = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'POST' && path === '/probe') {
      readBody(req).then(
        async (body) => {
          const { host, key, cluster } = JSON.parse(body) as Record<string, string>;
          const result = await probe(String(host), String(key), String(cluster));
          res
            .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
            .end(JSON.stringify(result));
        },
        () => res.writeHead(400).end(),
      );
      return;
    }
    const entry = FILES[path];
    if (req.method !== 'GET' || entry === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    readFile(entry.file).then(
      (body) =>
        res.writeHead(200, { 'content-type': entry.type, 'cache-control': 'no-store' }).end(body),
      () =>
        res
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`missing ${fileURLToPath(entry.file)}: run node scripts/build.mjs browser`),
    );
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/?host=${encodeURIComponent(sim.url)}`,
    origin,
    sim,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sim.close();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--port');
  const port = at === -1 ? 0 : Number(process.argv[at + 1]);
  const board = await serveBoard({ port });
  console.log(`quote board: open ${board.url}`);
  console.log(`(simulator at ${board.sim.url}; Ctrl-C to stop)`);
  const stop = (): void => void board.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
