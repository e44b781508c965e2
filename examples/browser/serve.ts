/**
 * Serves the browser quote board against the embedded simulator:
 *
 *   npm run example:browser            (builds, then prints the URL to open)
 *   npm run example:browser -- --port 8080
 *
 * One HTTP server on 127.0.0.1 serves index.html, board.js and the package's standard build as
 * /polygon-stream.js (dist/browser.js: run `npm run build` first when calling serveBoard yourself);
 * the simulator listens on its own port, and the printed URL tells the page where.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startSimulator, type Simulator, type SimulatorOptions } from 'polygon-stream/simulator';

const FILES: Record<string, { file: URL; type: string }> = {
  '/': { file: new URL('./index.html', import.meta.url), type: 'text/html' },
  '/index.html': { file: new URL('./index.html', import.meta.url), type: 'text/html' },
  '/board.js': { file: new URL('./board.js', import.meta.url), type: 'text/javascript' },
  '/polygon-stream.js': {
    file: new URL('../../dist/browser.js', import.meta.url),
    type: 'text/javascript',
  },
};

export interface BoardServer {
  /** The page, with the simulator's address in its query. */
  url: string;
  /** Base URL of the HTTP server. */
  origin: string;
  sim: Simulator;
  close(): Promise<void>;
}

export async function serveBoard(
  options: { port?: number; simulator?: SimulatorOptions } = {},
): Promise<BoardServer> {
  const sim = await startSimulator({ eventsPerSecond: 40, ...options.simulator });
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
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
          .end(`missing ${fileURLToPath(entry.file)}: run npm run build`),
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
