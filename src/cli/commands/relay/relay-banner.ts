/**
 * What `polygon-stream relay` says about where it listens: the address actually bound (for a
 * wildcard bind, also the addresses other machines can use), and a warning when it serves clear
 * text beyond loopback.
 */
import type { AddressInfo } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { isLoopback } from '../../../relay/index.js';

/** The stdout lines naming where the relay listens; `url` is how this machine reaches it. */
export function listeningLines(
  bound: AddressInfo,
  tls: boolean,
  url: string,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
): string[] {
  const scheme = tls ? 'wss' : 'ws';
  const at = (address: string, family: string): string =>
    `${scheme}://${family === 'IPv6' ? `[${address}]` : address}:${bound.port}`;
  const lines = [`polygon-stream relay listening on ${at(bound.address, bound.family)}`];
  const any4 = bound.address === '0.0.0.0';
  if (any4 || bound.address === '::') {
    const lan = Object.values(interfaces)
      .flat()
      .filter((i): i is NetworkInterfaceInfo => i !== undefined && !i.internal)
      .filter((i) => !any4 || i.family === 'IPv4')
      .map((i) => at(i.address, i.family));
    lines.push(`  every interface: ${[url, ...lan].join('  ')}`);
  }
  return lines;
}

/** The warning for a relay bound beyond loopback without TLS, else undefined. */
export function clearTextWarning(address: string, tls: boolean): string | undefined {
  if (tls || isLoopback(address)) return undefined;
  return `warning: listening on ${address} without TLS: tokens and market data travel in clear text to anyone on the network path; pass --tls-cert and --tls-key`;
}
