/* global fetch */
/**
 * Words for why the board's connection failed. A browser only says that its WebSocket failed: a
 * refused connection, an unknown host, a TLS failure and an HTTP error all look alike to the
 * page. So the page asks the server that served it (serve.ts's POST /probe), which makes the same
 * connection with the Node client and gets the cause in the library's own words. Without that
 * server the page says only what the URL allows: a ws:// URL cannot have failed on TLS; the rest
 * is unknown.
 */

const BAD_KEY = 'bad API key: the server refused it (auth_failed); pass the right one as ?key=';

/** What went wrong, in words, for `error` (a PolygonStreamError) connecting `key` to `host`. */
export async function explainFailure(error, { host, key, cluster }) {
  if (error.code === 'AUTH_FAILED') return BAD_KEY;
  if (error.code !== 'CONNECTION_FAILED') return `${error.code}: ${error.message}`;
  const found = await probe({ host, key, cluster });
  if (found === undefined) {
    return host.startsWith('wss:')
      ? `cannot connect to ${host}: refused, unknown host, TLS failure or HTTP error; the browser does not say which (unknown)`
      : `cannot connect to ${host}: refused, unknown host or HTTP error; the browser does not say which (unknown; not TLS: ws:// has none)`;
  }
  if (found.ok) {
    return `the browser cannot connect to ${host}, though the board's server can (cause unknown)`;
  }
  if (found.code === 'AUTH_FAILED') return BAD_KEY;
  // The Node client's words: "Connection to <url> failed: connection refused: …".
  return `${found.message.replace(/^Connection to \S+ failed: /, '')} (seen from the board's server)`;
}

/** serve.ts's attempt at the same connection, or undefined when this page has none to ask. */
async function probe(target) {
  try {
    const res = await fetch('/probe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(target),
      cache: 'no-store',
    });
    if (!res.headers.get('content-type')?.startsWith('application/json')) return undefined;
    return await res.json();
  } catch {
    return undefined;
  }
}
