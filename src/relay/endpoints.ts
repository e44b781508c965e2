/**
 * The relay's plain HTTP endpoints, on its own port next to the WebSocket paths: `GET /metrics`
 * (Prometheus text format; 503 with what to install when prom-client is missing) and
 * `GET /healthz` (JSON; 200 when every upstream connection is open, 503 otherwise). Other paths
 * are left to the protocol server (404, or 426 on a cluster path).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectionState } from '../client/connection/connection-state.js';
import { PROM_CLIENT_MISSING, PrometheusMetrics, type MetricsSource } from './prometheus.js';

export const METRICS_PATH = '/metrics';
export const HEALTH_PATH = '/healthz';

/** The http:// URL of `path` on the relay at `wsUrl` (its `ws://HOST:PORT`). */
export function httpUrl(wsUrl: string, path: string): string {
  return `${wsUrl.replace(/^ws(s?):/, 'http$1:')}${path}`;
}

export interface Health {
  /** `ok` when every upstream connection is open; `degraded` otherwise. */
  status: 'ok' | 'degraded';
  /** Each cluster's upstream connection state (StreamClient `state`). */
  upstreams: Record<string, ConnectionState>;
}

export function health(source: MetricsSource): Health {
  const upstreams: Record<string, ConnectionState> = {};
  for (const [cluster, u] of Object.entries(source.metrics().upstreams)) {
    upstreams[cluster] = u.state;
  }
  const ok = Object.values(upstreams).every((state) => state === 'open');
  return { status: ok ? 'ok' : 'degraded', upstreams };
}

export class RelayEndpoints {
  /** Undefined without prom-client. */
  private readonly prometheus: PrometheusMetrics | undefined;

  constructor(
    private readonly source: MetricsSource,
    prom: ConstructorParameters<typeof PrometheusMetrics>[0] | undefined,
  ) {
    this.prometheus = prom === undefined ? undefined : new PrometheusMetrics(prom, source);
  }

  /** Whether `/metrics` serves metrics (prom-client is installed). */
  get metricsAvailable(): boolean {
    return this.prometheus !== undefined;
  }

  /** Answer `req` when it is for an endpoint here; false leaves it to the caller. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = new URL(req.url ?? '/', 'http://relay').pathname;
    if (path !== METRICS_PATH && path !== HEALTH_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return true;
    }
    if (path === HEALTH_PATH) {
      const h = health(this.source);
      send(res, h.status === 'ok' ? 200 : 503, 'application/json', `${JSON.stringify(h)}\n`);
    } else if (this.prometheus === undefined) {
      send(res, 503, 'text/plain; charset=utf-8', `${PROM_CLIENT_MISSING}\n`);
    } else {
      const { contentType } = this.prometheus;
      this.prometheus.scrape().then(
        (text) => send(res, 200, contentType, text),
        (err: unknown) => send(res, 500, 'text/plain; charset=utf-8', `${String(err)}\n`),
      );
    }
    return true;
  }

  close(): void {
    this.prometheus?.close();
  }
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  if (res.destroyed) return;
  res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
