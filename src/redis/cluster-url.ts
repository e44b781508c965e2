/**
 * The URL form that names a Redis Cluster: `redis+cluster://[[user]:password@]host:port[,host:port…]`
 * — the seed nodes ioredis asks for the cluster's slot map (any one that answers is enough; the
 * others are found from it), with the password every node shares. A cluster has database 0 only,
 * so the URL has no path (a trailing `/` or `/0` is accepted).
 */

export const CLUSTER_PROTOCOL = 'redis+cluster:';

export interface ClusterUrl {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
}

const SHAPE = /^redis\+cluster:\/\/(?:([^@/]*)@)?([^/?#@]+)(?:\/0?)?$/i;

/** True when `url` uses the cluster scheme (well-formed or not). */
export function isClusterUrl(url: string): boolean {
  return url.toLowerCase().startsWith(`${CLUSTER_PROTOCOL}//`);
}

/** The seed nodes and credentials of a cluster URL, or a sentence saying what is wrong with it. */
export function parseClusterUrl(url: string): ClusterUrl | string {
  const match = SHAPE.exec(url);
  if (!match) {
    return 'expected redis+cluster://[[user]:password@]host:port[,host:port…] (no path, query or fragment)';
  }
  const [, userinfo, seeds] = match;
  const nodes: ClusterUrl['nodes'] = [];
  for (const seed of seeds!.split(',')) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(`redis://${seed}`);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.port === '' || parsed.host !== seed.toLowerCase()) {
      return `seed node '${seed}' is not host:port`;
    }
    nodes.push({ host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port) });
  }
  const out: ClusterUrl = { nodes };
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    try {
      if (user !== '') out.username = decodeURIComponent(user);
      if (colon >= 0) out.password = decodeURIComponent(userinfo.slice(colon + 1));
    } catch {
      return 'the user or password is not valid percent-encoding';
    }
  }
  return out;
}
