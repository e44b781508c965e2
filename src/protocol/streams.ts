/**
 * The one table that describes every stream. Subscribe/unsubscribe methods, their validation,
 * the simulator's generators, the CLI's stream flags and the README list all come from it.
 */

export const Cluster = {
  Stocks: 'stocks',
  Options: 'options',
  Forex: 'forex',
  Crypto: 'crypto',
  Indices: 'indices',
  /** Futures of all four exchanges (CME, CBOT, NYMEX, COMEX). */
  Futures: 'futures',
  /** One exchange's futures (the provider's Business futures plans are sold per exchange). */
  FuturesCME: 'futures/cme',
  FuturesCBOT: 'futures/cbot',
  FuturesNYMEX: 'futures/nymex',
  FuturesCOMEX: 'futures/comex',
} as const;
export type Cluster = (typeof Cluster)[keyof typeof Cluster];
export const CLUSTERS: readonly Cluster[] = Object.values(Cluster);

/** Which of the provider's feeds a stream belongs to (they live on different hosts: src/protocol/hosts.ts). */
export type Feed = 'market' | 'business' | 'launchpad';

/** The event field that carries the symbol (the provider's protocol: it differs by event). */
export type SymbolField = 'sym' | 'T' | 'pair' | 'p';

export interface StreamSpec {
  /** Method stem: `subscribe${method}` / `unsubscribe${method}`. */
  readonly method: StreamMethod;
  /**
   * The Python `polygon` library's name (`subscribe_${pythonName}`); undefined for streams its
   * StreamClient lacks.
   */
  readonly pythonName: string | undefined;
  readonly cluster: Cluster;
  /** Topic prefix sent on the wire (`T` in `T.AAPL`). */
  readonly prefix: string;
  /** The `ev` value of this stream's events. */
  readonly ev: string;
  /** Cluster symbol prefix added to bare symbols (`O:`), or '' for none. */
  readonly symbolPrefix: string;
  readonly symbolField: SymbolField;
  readonly feed: Feed;
  /** Key of this stream in websocket.json `paths`. */
  readonly schemaPath: string;
  readonly title: string;
}

const SYMBOL_PREFIX: Record<Cluster, string> = {
  stocks: '',
  options: 'O:',
  forex: 'C:',
  crypto: 'X:',
  indices: 'I:',
  futures: '',
  'futures/cme': '',
  'futures/cbot': '',
  'futures/nymex': '',
  'futures/comex': '',
};

/** The futures clusters: all exchanges on one path, or one exchange each. */
export const FUTURES_CLUSTERS = [
  'futures',
  'futures/cme',
  'futures/cbot',
  'futures/nymex',
  'futures/comex',
] as const satisfies readonly Cluster[];
export type FuturesCluster = (typeof FUTURES_CLUSTERS)[number];

/** Whether a cluster carries futures (its events have the futures shapes, not the stock ones). */
export function isFuturesCluster(cluster: string): cluster is FuturesCluster {
  return (FUTURES_CLUSTERS as readonly string[]).includes(cluster);
}

const FUT = FUTURES_CLUSTERS;

const ALL_BUT_INDICES = ['stocks', 'options', 'forex', 'crypto'] as const;

const ABI = ALL_BUT_INDICES;

/**
 * One row per stream: method stem (`subscribe${stem}`), the Python `polygon` library's name
 * (`subscribe_${name}`; undefined for streams it lacks), cluster(s), topic prefix (= the events'
 * `ev`), the event field carrying the symbol, title, and feed (default 'market').
 */
// prettier-ignore
const TABLE = [
  // stem                          Python name                   cluster(s)  prefix  symbol  title                               feed
  ['StockTrades',                 'stock_trades',               'stocks',   'T',    'sym',  'Stock trades'],
  ['StockQuotes',                 'stock_quotes',               'stocks',   'Q',    'sym',  'Stock quotes (NBBO)'],
  ['StockMinuteAggregates',       'stock_minute_aggregates',    'stocks',   'AM',   'sym',  'Stock minute aggregates'],
  ['StockSecondAggregates',       'stock_second_aggregates',    'stocks',   'A',    'sym',  'Stock second aggregates'],
  ['StockLimitUpLimitDown',       'stock_limit_up_limit_down',  'stocks',   'LULD', 'T',    'Stock limit up / limit down'],
  ['StockImbalances',             'stock_imbalances',           'stocks',   'NOI',  'T',    'Stock imbalances'],
  ['OptionTrades',                'option_trades',              'options',  'T',    'sym',  'Option trades'],
  ['OptionQuotes',                'option_quotes',              'options',  'Q',    'sym',  'Option quotes'],
  ['OptionMinuteAggregates',      'option_minute_aggregates',   'options',  'AM',   'sym',  'Option minute aggregates'],
  ['OptionSecondAggregates',      'option_second_aggregates',   'options',  'A',    'sym',  'Option second aggregates'],
  ['ForexQuotes',                 'forex_quotes',               'forex',    'C',    'p',    'Forex quotes'],
  ['ForexMinuteAggregates',       'forex_minute_aggregates',    'forex',    'CA',   'pair', 'Forex minute aggregates'],
  ['ForexSecondAggregates',       undefined,                    'forex',    'CAS',  'pair', 'Forex second aggregates'],
  ['CryptoTrades',                'crypto_trades',              'crypto',   'XT',   'pair', 'Crypto trades'],
  ['CryptoQuotes',                'crypto_quotes',              'crypto',   'XQ',   'pair', 'Crypto quotes'],
  ['CryptoMinuteAggregates',      'crypto_minute_aggregates',   'crypto',   'XA',   'pair', 'Crypto minute aggregates'],
  ['CryptoSecondAggregates',      undefined,                    'crypto',   'XAS',  'pair', 'Crypto second aggregates'],
  ['CryptoLevel2Book',            'crypto_level2_book',         'crypto',   'XL2',  'pair', 'Crypto level 2 book'],
  ['IndicesMinuteAggregates',     'indices_minute_aggregates',  'indices',  'AM',   'sym',  'Index minute aggregates'],
  ['IndicesSecondAggregates',     'indices_second_aggregates',  'indices',  'A',    'sym',  'Index second aggregates'],
  ['IndexValue',                  'index_value',                'indices',  'V',    'T',    'Index value'],
  ['FuturesTrades',               undefined,                    FUT,        'T',    'sym',  'Futures trades'],
  ['FuturesQuotes',               undefined,                    FUT,        'Q',    'sym',  'Futures quotes (top of book)'],
  ['FuturesMinuteAggregates',     undefined,                    FUT,        'AM',   'sym',  'Futures minute aggregates'],
  ['FuturesSecondAggregates',     undefined,                    FUT,        'A',    'sym',  'Futures second aggregates'],
  ['FairMarketValue',             'fair_market_value',          ABI,        'FMV',  'sym',  'Fair market value',                 'business'],
  ['LaunchpadMinuteAggregates',   undefined,                    ABI,        'AM',   'sym',  'Launchpad minute aggregates',       'launchpad'],
  ['LaunchpadValue',              undefined,                    ABI,        'LV',   'sym',  'Launchpad value',                   'launchpad'],
] as const satisfies readonly (readonly [
  string,
  string | undefined,
  Cluster | readonly Cluster[],
  string,
  SymbolField,
  string,
  Feed?,
])[];

/** The stem of every generated method: `subscribe${StreamMethod}` / `unsubscribe${StreamMethod}`. */
export type StreamMethod = (typeof TABLE)[number][0];

function schemaPathOf(cluster: Cluster, prefix: string, feed: Feed): string {
  return feed === 'market' ? `/${cluster}/${prefix}` : `/${feed}/${cluster}/${prefix}`;
}

export const STREAMS: readonly StreamSpec[] = TABLE.flatMap((row) => {
  const [method, pythonName, clusters, prefix, symbolField, title] = row;
  const feed: Feed = row[6] ?? 'market';
  return (typeof clusters === 'string' ? [clusters] : clusters).map((cluster): StreamSpec => ({
    method,
    pythonName,
    cluster,
    prefix,
    ev: prefix,
    symbolPrefix: SYMBOL_PREFIX[cluster],
    symbolField,
    feed,
    schemaPath: schemaPathOf(cluster, prefix, feed),
    title,
  }));
});

/** Method stems, each once, in table order. */
export const STREAM_METHODS: readonly StreamMethod[] = [...new Set(TABLE.map((row) => row[0]))];

/** Method names that alias a stem (the Python library's spelling of the index-value unsubscribe). */
export const UNSUBSCRIBE_ALIASES = {
  unsubscribeIndicesValue: 'IndexValue',
} as const satisfies Record<string, StreamMethod>;

/** The stream a method stem means on a cluster, or undefined when that cluster does not carry it. */
export function streamFor(method: string, cluster: Cluster): StreamSpec | undefined {
  return STREAMS.find((s) => s.method === method && s.cluster === cluster);
}

export function symbolPrefixOf(cluster: string): string {
  return (SYMBOL_PREFIX as Record<string, string | undefined>)[cluster] ?? '';
}

/**
 * The cluster a REST ticker belongs to, by its prefix (`O:…` options, `C:…` forex, `X:…` crypto,
 * `I:…` indices); a ticker with none is a stock.
 */
export function clusterOfTicker(ticker: string): Cluster {
  for (const c of CLUSTERS) {
    const prefix = SYMBOL_PREFIX[c];
    if (prefix !== '' && ticker.startsWith(prefix)) return c;
  }
  return 'stocks';
}

/**
 * The streams a cluster serves on the simulator, one per topic prefix. The simulator serves the
 * union of the market, business and launchpad feeds on one path per cluster; where two feeds share
 * a prefix (AM on stocks), the market feed's stream wins.
 */
export function streamsOfCluster(cluster: Cluster): StreamSpec[] {
  const byPrefix = new Map<string, StreamSpec>();
  for (const s of STREAMS) {
    if (s.cluster === cluster && !byPrefix.has(s.prefix)) byPrefix.set(s.prefix, s);
  }
  return [...byPrefix.values()];
}
