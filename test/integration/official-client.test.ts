/**
 * The provider's own JavaScript client (`@massive.com/client-js`, a dev dependency) against the
 * simulator's futures: its `getFuturesWebsocket` connects to the exchange path and the all-futures
 * path, and every event it receives has the fields, and only the fields, of its own event
 * interfaces (ITradeFuturesEvent, IQuoteFuturesEvent, IAggregateFuturesEvent), read from the
 * package's type declarations so that a change on their side shows here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getFuturesWebsocket } from '@massive.com/client-js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { frontContracts } from '../../src/simulator/futures/contracts.js';

const KEY = 'official-client-key';
const T = { timeout: 20_000 };

/** An interface of the official client's declarations: field → TS type (`number`, `string`). */
function officialFields(name: string): Record<string, string> {
  const main = fileURLToPath(import.meta.resolve('@massive.com/client-js'));
  const dts = readFileSync(main.replace(/\.js$/, '.d.ts'), 'utf8');
  const body = new RegExp(`interface ${name} \\{([^}]*)\\}`).exec(dts)?.[1];
  assert.ok(body, `${name} is declared by @massive.com/client-js`);
  const fields: Record<string, string> = {};
  for (const m of body.matchAll(/^\s*'?(\w+)'?\??:\s*(\w+);/gm)) fields[m[1]!] = m[2]!;
  return fields;
}

const OFFICIAL: Record<string, Record<string, string>> = {};

/** Data events the official client receives on a path, until `count` of them (or 8 s). */
function receive(
  url: string,
  exchange: string | undefined,
  params: string,
  count: number,
): Promise<Record<string, unknown>[]> {
  const ws = getFuturesWebsocket(KEY, url, exchange);
  const events: Record<string, unknown>[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`only ${events.length} events of ${count} in 8 s`));
    }, 8_000);
    ws.onerror = () => reject(new Error('the official client reported a socket error'));
    ws.onmessage = (message: { data: unknown }) => {
      for (const e of JSON.parse(String(message.data)) as Record<string, unknown>[]) {
        if (e['ev'] !== 'status') events.push(e);
        else if (e['status'] === 'auth_success')
          ws.send(JSON.stringify({ action: 'subscribe', params }));
      }
      if (events.length >= count) {
        clearTimeout(timer);
        ws.close();
        resolve(events);
      }
    };
  });
}

/** Problems of an event against the official interface of its `ev`. */
function problems(e: Record<string, unknown>): string[] {
  const fields = OFFICIAL[e['ev'] as string];
  if (!fields) return [`no official interface for ev ${String(e['ev'])}`];
  const out: string[] = [];
  for (const [name, value] of Object.entries(e)) {
    if (!(name in fields)) out.push(`field ${name} is not in the official interface`);
    else if (typeof value !== fields[name])
      out.push(`${name} is ${typeof value}, not ${fields[name]}`);
  }
  for (const name of Object.keys(fields)) {
    // The provider documents every quote side as optional (FUTURES-AND-HOSTS.md §1); the
    // official interface declares them all: a quote with one side absent is legal here.
    const side = e['ev'] === 'Q' && /^[ab][pst]$/.test(name);
    if (e[name] === undefined && !side) out.push(`${name} missing`);
  }
  return out;
}

describe('the official JS client (@massive.com/client-js) on simulated futures', () => {
  let sim: Simulator;
  let url: string;

  before(async () => {
    OFFICIAL['T'] = officialFields('ITradeFuturesEvent');
    OFFICIAL['Q'] = officialFields('IQuoteFuturesEvent');
    OFFICIAL['A'] = officialFields('IAggregateFuturesEvent');
    OFFICIAL['AM'] = OFFICIAL['A'];
    sim = await startSimulator({
      apiKeys: [KEY],
      eventsPerSecond: 2_000,
      tickMs: 10,
      windowScale: 0.01,
    });
    url = sim.url;
  });

  after(async () => {
    await sim.close();
  });

  test(
    'an exchange path (cme): trades, quotes and bars of CME contracts, its fields only',
    T,
    async () => {
      const events = await receive(url, 'cme', 'T.*,Q.*,A.*', 300);
      const cme = new Set(
        frontContracts(new Date())
          .filter((c) => c.exchange === 'futures/cme')
          .map((c) => c.ticker),
      );
      for (const e of events) {
        assert.deepEqual(problems(e), [], JSON.stringify(e));
        assert.ok(cme.has(e['sym'] as string), `${String(e['sym'])} is a CME contract`);
      }
      assert.deepEqual([...new Set(events.map((e) => e['ev']))].sort(), ['A', 'Q', 'T']);
    },
  );

  test('all futures (no exchange): the topics it subscribed, from three exchanges', T, async () => {
    const front = frontContracts(new Date());
    const pick = (exchange: string): string => front.find((c) => c.exchange === exchange)!.ticker;
    const wanted = [
      `T.${pick('futures/nymex')}`,
      `T.${pick('futures/comex')}`,
      `Q.${pick('futures/cbot')}`,
    ];
    const events = await receive(url, undefined, wanted.join(','), 60);
    for (const e of events) assert.deepEqual(problems(e), [], JSON.stringify(e));
    const topics = new Set(events.map((e) => `${String(e['ev'])}.${String(e['sym'])}`));
    for (const topic of topics) assert.ok(wanted.includes(topic), `${topic} was not asked for`);
    assert.ok(topics.size >= 2, `events of several topics: ${[...topics].join(', ')}`);
  });
});
