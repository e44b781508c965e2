/**
 * Reference data for the pretty format: the provider's numeric ids as short names. Data only; no
 * network at run time.
 *
 * Where it came from: Polygon.io's (Massive.com's) reference endpoints, transcribed once from
 * their responses (nothing is fetched at build or run time) —
 * - `GET /v3/reference/exchanges?asset_class=stocks&locale=us` (27 rows, the 2026 list: `id`,
 *   `mic`, `name`). `short` is the name as trading screens print it: the venue without its legal
 *   suffix ("NYSE Arca, Inc." → "NYSE Arca"), or its acronym where that is how it is known.
 * - `GET /v3/reference/conditions?asset_class=stocks&data_type=trade` (`id`, `name`, and
 *   `sip_mapping`, as the provider's conditions glossary lists it: the one-character code the SIPs
 *   print on the tape, `@ F T I` and so on; where the CTA and UTP plans use different letters,
 *   the UTP one).
 * Options, crypto and forex ids are not in it: they print as numbers. To refresh, fetch the same
 * endpoints (with `asset_class=options|crypto|fx` for more) and add the rows here.
 */

interface ExchangeRow {
  readonly id: number;
  /** ISO 10383 market identifier code, where the venue has one. */
  readonly mic: string;
  readonly name: string;
  readonly short: string;
}

interface ConditionRow {
  readonly id: number;
  readonly name: string;
  /** The SIP's one-character code; empty when the condition has none on the tape. */
  readonly code: string;
}

export const STOCK_EXCHANGES: readonly ExchangeRow[] = [
  { id: 1, mic: 'XASE', name: 'NYSE American, LLC', short: 'NYSE American' },
  { id: 2, mic: 'XBOS', name: 'Nasdaq Texas, Inc.', short: 'Nasdaq Texas' },
  { id: 3, mic: 'XCIS', name: 'NYSE National, Inc.', short: 'NYSE National' },
  { id: 4, mic: 'XADF', name: 'FINRA Alternative Display Facility', short: 'FINRA ADF' },
  { id: 5, mic: '', name: 'Unlisted Trading Privileges', short: 'UTP' },
  { id: 6, mic: 'XISE', name: 'International Securities Exchange, LLC - Stocks', short: 'ISE' },
  { id: 7, mic: 'EDGA', name: 'Cboe EDGA', short: 'Cboe EDGA' },
  { id: 8, mic: 'EDGX', name: 'Cboe EDGX', short: 'Cboe EDGX' },
  { id: 9, mic: 'XCHI', name: 'NYSE Texas, Inc.', short: 'NYSE Texas' },
  { id: 10, mic: 'XNYS', name: 'New York Stock Exchange', short: 'NYSE' },
  { id: 11, mic: 'ARCX', name: 'NYSE Arca, Inc.', short: 'NYSE Arca' },
  { id: 12, mic: 'XNAS', name: 'Nasdaq', short: 'Nasdaq' },
  { id: 13, mic: '', name: 'Consolidated Tape Association', short: 'CTA' },
  { id: 14, mic: 'LTSE', name: 'Long-Term Stock Exchange', short: 'LTSE' },
  { id: 15, mic: 'IEXG', name: 'Investors Exchange', short: 'IEX' },
  { id: 16, mic: 'CBSX', name: 'Cboe Stock Exchange', short: 'Cboe' },
  { id: 17, mic: 'XPHL', name: 'Nasdaq Philadelphia Exchange LLC', short: 'Nasdaq PHLX' },
  { id: 18, mic: 'BATY', name: 'Cboe BYX', short: 'Cboe BYX' },
  { id: 19, mic: 'BATS', name: 'Cboe BZX', short: 'Cboe BZX' },
  { id: 20, mic: 'EPRL', name: 'MIAX Pearl', short: 'MIAX Pearl' },
  { id: 21, mic: 'MEMX', name: 'Members Exchange', short: 'MEMX' },
  { id: 22, mic: '24EQ', name: '24X National Exchange LLC', short: '24X' },
  { id: 23, mic: 'TXSE', name: 'Texas Stock Exchange LLC', short: 'TXSE' },
  { id: 62, mic: 'OOTC', name: 'OTC Equity Security', short: 'OTC' },
  { id: 201, mic: 'FINY', name: 'FINRA NYSE TRF', short: 'FINRA NYSE TRF' },
  { id: 202, mic: 'FINN', name: 'FINRA Nasdaq TRF Carteret', short: 'FINRA Carteret' },
  { id: 203, mic: 'FINC', name: 'FINRA Nasdaq TRF Chicago', short: 'FINRA Chicago' },
];

export const STOCK_TRADE_CONDITIONS: readonly ConditionRow[] = [
  { id: 0, name: 'Regular Sale', code: '@' },
  { id: 1, name: 'Acquisition', code: 'A' },
  { id: 2, name: 'Average Price Trade', code: 'W' },
  { id: 3, name: 'Automatic Execution', code: '' },
  { id: 4, name: 'Bunched Trade', code: 'B' },
  { id: 5, name: 'Bunched Sold Trade', code: 'G' },
  { id: 6, name: 'CAP Election', code: '' },
  { id: 7, name: 'Cash Sale', code: 'C' },
  { id: 8, name: 'Closing Prints', code: '6' },
  { id: 9, name: 'Cross Trade', code: 'X' },
  { id: 10, name: 'Derivatively Priced', code: '4' },
  { id: 11, name: 'Distribution', code: 'D' },
  { id: 12, name: 'Form T/Extended Hours', code: 'T' },
  { id: 13, name: 'Extended Hours (Sold Out Of Sequence)', code: 'U' },
  { id: 14, name: 'Intermarket Sweep', code: 'F' },
  { id: 15, name: 'Market Center Official Close', code: 'M' },
  { id: 16, name: 'Market Center Official Open', code: 'Q' },
  { id: 17, name: 'Market Center Opening Trade', code: '' },
  { id: 18, name: 'Market Center Reopening Trade', code: '' },
  { id: 19, name: 'Market Center Closing Trade', code: '' },
  { id: 20, name: 'Next Day', code: 'N' },
  { id: 21, name: 'Price Variation Trade', code: 'H' },
  { id: 22, name: 'Prior Reference Price', code: 'P' },
  { id: 23, name: 'Rule 155 Trade (AMEX)', code: 'K' },
  { id: 24, name: 'Rule 127 (NYSE Only)', code: '' },
  { id: 25, name: 'Opening Prints', code: 'O' },
  { id: 27, name: 'Stopped Stock (Regular Trade)', code: '1' },
  { id: 28, name: 'Re-Opening Prints', code: '5' },
  { id: 29, name: 'Seller', code: 'R' },
  { id: 30, name: 'Sold Last', code: 'L' },
  { id: 32, name: 'Sold (Out Of Sequence)', code: 'Z' },
  { id: 34, name: 'Split Trade', code: 'S' },
  { id: 35, name: 'Stock Option', code: '' },
  { id: 36, name: 'Yellow Flag Regular Trade', code: 'Y' },
  { id: 37, name: 'Odd Lot Trade', code: 'I' },
  { id: 38, name: 'Corrected Consolidated Close (per listing market)', code: '9' },
  { id: 41, name: 'Trade Thru Exempt', code: '' },
  { id: 52, name: 'Contingent Trade', code: 'V' },
  { id: 53, name: 'Qualified Contingent Trade', code: '7' },
];
