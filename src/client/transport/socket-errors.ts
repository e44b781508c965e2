/**
 * Why a socket could not be opened (or died), in plain words: a DNS failure, a refused
 * connection, a TLS failure, a handshake nobody answered, or the HTTP status a server answered
 * the WebSocket upgrade with. Users see these words in CONNECTION_FAILED errors.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import { redactText } from '../../redact.js';
import type { ClientConfig } from '../config.js';

const TLS_CODE = /^(ERR_SSL|ERR_TLS|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/;

/** Reason phrases of the statuses a refused upgrade commonly gets (no Node module in the client). */
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  410: 'Gone',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const HTTP_HINT: Record<number, string> = {
  401: 'the server refused the upgrade: check the key and the host',
  403: 'the server refused the upgrade: check the key, your plan and the host',
  404: 'no WebSocket endpoint at this path: check the host and the cluster',
};

/** CONNECTION_FAILED for `err`, as the transport reported it for a socket to `config.url`, key masked. */
export function connectionFailed(
  err: Error,
  config: Pick<ClientConfig, 'url' | 'apiKey' | 'authTimeoutMs' | 'maxFrameBytes'>,
): PolygonStreamError {
  const errno = (err as { code?: string }).code;
  const { hostname, port, protocol } = new URL(config.url);
  const at = `${hostname}:${port || (protocol === 'wss:' ? 443 : 80)}`;
  const message = redactText(err.message, config.apiKey);
  const http = /^Unexpected server response: (\d{3})/.exec(err.message);
  const status = http ? Number(http[1]) : undefined;
  const text = ((): string => {
    if (status !== undefined) {
      const hint = HTTP_HINT[status];
      return (
        `the server answered the WebSocket upgrade with HTTP ${status} ${STATUS_TEXT[status] ?? ''}`.trimEnd() +
        (hint ? ` (${hint})` : '')
      );
    }
    switch (errno) {
      case 'ENOTFOUND':
        return `DNS lookup failed: no such host "${hostname}" (ENOTFOUND)`;
      case 'EAI_AGAIN':
        return `DNS lookup failed for "${hostname}": the resolver did not answer; is the network up? (EAI_AGAIN)`;
      case 'ECONNREFUSED':
        return `connection refused: nothing is listening at ${at} (ECONNREFUSED)`;
      case 'ECONNRESET':
        return `the connection to ${at} was reset (ECONNRESET${protocol === 'wss:' ? '; with wss://, likely a TLS failure: is it a plain ws:// server?' : ''})`;
      case 'ETIMEDOUT':
        return `no TCP connection to ${at} in time (ETIMEDOUT)`;
      case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
        return `${message} (a frame was larger than maxFrameBytes, ${config.maxFrameBytes} bytes)`;
    }
    if ((errno && TLS_CODE.test(errno)) || /\b(SSL|TLS)\b|certificate/i.test(err.message))
      return `TLS failure: ${message}${errno ? ` (${errno})` : ''}`;
    if (/handshake has timed out/i.test(err.message))
      return `no answer to the WebSocket handshake within ${config.authTimeoutMs} ms`;
    return message || errno || 'unknown socket error';
  })();
  return new PolygonStreamError(
    ErrorCode.ConnectionFailed,
    `Connection to ${config.url} failed: ${text}`,
    {
      url: config.url,
      ...(errno ? { errno } : {}),
      ...(status !== undefined ? { httpStatus: status } : {}),
    },
  );
}

/** The error that ends a client never connected within firstConnectTimeoutMs. */
export function firstConnectError(
  url: string,
  timeoutMs: number,
  attempts: number,
  last: PolygonStreamError | undefined,
): PolygonStreamError {
  return new PolygonStreamError(
    ErrorCode.ConnectionFailed,
    `Could not connect to ${url} within ${timeoutMs} ms (firstConnectTimeoutMs, ${attempts} attempt${attempts === 1 ? '' : 's'}); ${
      last ? `last cause: ${last.message}` : 'no answer yet'
    }`,
    { url, attempts, ...(last ? { lastCode: last.code } : {}) },
    last ? { cause: last } : undefined,
  );
}
