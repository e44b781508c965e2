/**
 * `npm run bench:relay [-- --seconds S] [--rate R] [--json]`: the relay under fan-out. A simulator
 * (this process) generates R events/s (default 20k) on the upstream connection; the relay runs in
 * a child process; 1, 10 and 100 raw `ws` clients here subscribe through it, either all to `T.*`
 * (every frame forwarded as received) or each to its own 5 symbols (frames filtered and re-encoded
 * per client). A direct client on the simulator is the latency reference. Measured per case: events
 * delivered per second in total, the relay's CPU per delivered event, and the latency added by the
 * relay (event `t` stamp → receipt, relay minus direct, p50/p99, ms resolution).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startRelay } from '../src/relay/index.js';
import { startSimulator, Universe } from '../src/simulator/index.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    rate: { type: 'string', default: '20000' },
    json: { type: 'boolean', default: false },
    role: { type: 'string' },
    upstream: { type: 'string' },
    // A directory: the relay child runs with `--cpu-prof` and writes its profile there.
    'cpu-prof': { type: 'string' },
  },
});

type ToRelay = { type: 'cpu' };
type FromRelay = { type: 'ready'; url: string } | { type: 'cpu'; micros: number };

async function relayChild(upstream: string): Promise<void> {
  const relay = await startRelay({
    key: 'relay-upstream',
    upstreamHost: upstream,
    allowAnyToken: true,
    maxClients: 1000,
    maxBufferedBytes: 64 * 1024 * 1024,
  });
  process.on('message', (m: ToRelay) => {
    if (m.type !== 'cpu') return;
    const u = process.cpuUsage();
    process.send!({ type: 'cpu', micros: u.user + u.system } satisfies FromRelay);
  });
  process.on('disconnect', () => void relay.close().then(() => process.exit(0)));
  process.send!({ type: 'ready', url: relay.url } satisfies FromRelay);
}

interface Client {
  ws: WebSocket;
  events: number;
  lat: number[];
}

function client(url: string, topics: string, key = 'token'): Promise<Client> {
  const ws = new WebSocket(`${url}/stocks`, { perMessageDeflate: false });
  const c: Client = { ws, events: 0, lat: [] };
  return new Promise((resolve, reject) => {
    let acks = new Set(topics.split(',')).size;
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ action: 'auth', params: key })));
    ws.on('message', (data: Buffer) => {
      const now = Date.now();
      const events = JSON.parse(data.toString()) as { ev: string; status?: string; t?: number }[];
      for (const e of events) {
        if (e.ev === 'status') {
          if (e.status === 'auth_success')
            ws.send(JSON.stringify({ action: 'subscribe', params: topics }));
          if (e.status === 'success' && --acks === 0) resolve(c);
          continue;
        }
        c.events++;
        if (typeof e.t === 'number' && c.lat.length < 200_000) c.lat.push(now - e.t);
      }
    });
  });
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number);
};

async function main(): Promise<void> {
  const seconds = Number(values.seconds);
  const rate = Number(values.rate);
  const sim = await startSimulator({
    eventsPerSecond: rate,
    tickMs: 10,
    slowConsumerBytes: 1 << 30,
  });
  const child = fork(fileURLToPath(import.meta.url), ['--role', 'relay', '--upstream', sim.url], {
    execArgv: [
      '--import',
      'tsx',
      ...(values['cpu-prof'] === undefined
        ? []
        : ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`]),
    ],
  });
  const next = <T extends FromRelay['type']>(type: T): Promise<Extract<FromRelay, { type: T }>> =>
    new Promise((resolve) => {
      const on = (m: FromRelay): void => {
        if (m.type !== type) return;
        child.off('message', on);
        resolve(m as Extract<FromRelay, { type: T }>);
      };
      child.on('message', on);
    });
  const { url } = await next('ready');
  const symbols = new Universe(1).symbols('stocks').map((s) => s.symbol);
  const rows: Record<string, unknown>[] = [];
  for (const mode of ['*', 'per-symbol'] as const) {
    for (const n of [1, 10, 100]) {
      const topicsOf = (i: number): string =>
        mode === '*'
          ? 'T.*'
          : Array.from({ length: 5 }, (_, k) => `T.${symbols[(i * 5 + k) % symbols.length]}`).join(
              ',',
            );
      const clients: Client[] = [];
      for (let i = 0; i < n; i++) clients.push(await client(url, topicsOf(i)));
      // The direct reference holds the union of the relay's topics (same upstream rate per symbol).
      const direct = await client(
        sim.url,
        mode === '*'
          ? 'T.*'
          : [...new Set(Array.from({ length: n }, (_, i) => topicsOf(i).split(',')).flat())].join(
              ',',
            ),
      );
      await new Promise((r) => setTimeout(r, 500)); // warm-up
      for (const c of [...clients, direct]) {
        c.events = 0;
        c.lat = [];
      }
      child.send({ type: 'cpu' } satisfies ToRelay);
      const cpu0 = (await next('cpu')).micros;
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      child.send({ type: 'cpu' } satisfies ToRelay);
      const cpu1 = (await next('cpu')).micros;
      const elapsed = (performance.now() - t0) / 1000;
      const delivered = clients.reduce((a, c) => a + c.events, 0);
      const lat = clients.flatMap((c) => c.lat);
      rows.push({
        topics: mode,
        clients: n,
        'delivered ev/s': Math.round(delivered / elapsed),
        'upstream ev/s': Math.round(direct.events / elapsed),
        'relay CPU %': Math.round(((cpu1 - cpu0) / 1e6 / elapsed) * 100),
        'CPU µs/ev out': Number(((cpu1 - cpu0) / Math.max(1, delivered)).toFixed(2)),
        'added p50 ms': pct(lat, 50) - pct(direct.lat, 50),
        'added p99 ms': pct(lat, 99) - pct(direct.lat, 99),
      });
      for (const c of [...clients, direct]) c.ws.terminate();
      process.stderr.write(`done: ${mode} × ${n}\n`);
    }
  }
  if (values.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
  else console.table(rows);
  child.disconnect();
  await sim.close();
}

if (values.role === 'relay') await relayChild(values.upstream!);
else await main();
