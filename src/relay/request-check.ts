/**
 * Which HTTP requests and WebSocket upgrades the relay serves, by their `Origin` and `Host`:
 *
 * - `Origin`: browsers send it on every WebSocket; programs (the official clients, ours, wscat)
 *   do not. Without this check any web page the user opens could connect to the relay on
 *   loopback (cross-site WebSocket hijacking). So a request without `Origin` is served, and one
 *   with an `Origin` only when it is allowed (`allowOrigins`; `*` allows any).
 * - `Host`: a page whose own name was rebound to the relay's address (DNS rebinding) sends its own
 *   name as `Host`. So `Host` must be an IP address, `localhost`, this machine's host name, or a
 *   name in `allowHosts`. A request without `Host` (HTTP/1.0 tools) is served.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';

export interface RequestCheckOptions {
  /** Origins browsers may connect from (`https://desk.example:3000`), or `*` for any. */
  allowOrigins: readonly string[];
  /** Host names clients may use for the relay besides IP addresses, localhost and this machine's. */
  allowHosts: readonly string[];
}

/** An origin as browsers send it: scheme, host and port, lower case, no path or trailing slash. */
export function normalOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

/** The host name of a `Host` header, without its port or the brackets of an IPv6 address. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']'));
  const colon = h.indexOf(':');
  return (colon < 0 ? h : h.slice(0, colon)).replace(/\.$/, '');
}

export class RequestCheck {
  private readonly anyOrigin: boolean;
  private readonly origins: ReadonlySet<string>;
  private readonly hosts: ReadonlySet<string>;

  constructor(options: RequestCheckOptions) {
    this.anyOrigin = options.allowOrigins.includes('*');
    this.origins = new Set(options.allowOrigins.map(normalOrigin));
    this.hosts = new Set(
      ['localhost', hostname(), ...options.allowHosts].map((h) => hostName(h)).filter(Boolean),
    );
  }

  /** Why the request is refused, or undefined when it may go on. */
  refusal(req: IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    if (origin !== undefined && !this.anyOrigin && !this.origins.has(normalOrigin(origin))) {
      return `relay: browser origin ${JSON.stringify(origin)} is not allowed (start the relay with --allow-origin ${normalOrigin(origin)} to allow it)`;
    }
    const host = req.headers.host;
    if (host !== undefined) {
      const name = hostName(host);
      if (isIP(name) === 0 && !this.hosts.has(name)) {
        return `relay: host name ${JSON.stringify(name)} is not one of this relay's names (start the relay with --allow-host ${name} to allow it)`;
      }
    }
    return undefined;
  }
}
