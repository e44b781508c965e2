/**
 * The relay on futures clusters: a per-exchange path (`futures/cme`) relayed from the simulator,
 * its clients get that exchange's contracts as futures events (no stock fields), and a malformed
 * futures topic never reaches upstream.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frontContracts } from '../../src/simulator/futures/contracts.js';
import { isAck, isData, isStatus } from '../helpers/sim.js';
import { withRelay } from '../helpers/relay.js';

const T = { timeout: 20_000 };

describe('relay on futures', () => {
  it('relays a per-exchange futures path: its contracts, futures fields only', T, () =>
    withRelay(
      { sim: { eventsPerSecond: 2_000 }, relay: { clusters: ['futures/cme', 'futures'] } },
      async ({ relay, open }) => {
        const es = frontContracts(new Date()).find((c) => c.product.root === 'ES')!.ticker;
        const c = await open(undefined, 'futures/cme');
        await c.subscribe(`T.${es}`);
        const trade = await c.waitFor((e) => isData(e) && e['sym'] === es);
        assert.deepEqual(Object.keys(trade).sort(), ['ev', 'p', 'q', 's', 'sym', 't']);
        const all = await open(undefined, 'futures');
        await all.subscribe('T.*');
        const roots = new Set<string>();
        await all.waitFor((e) => {
          if (isData(e)) roots.add(String(e['sym']).slice(0, 2));
          return roots.has('CL') && roots.has('GC');
        });
        assert.deepEqual(relay.metrics().upstreamTopics, {
          'futures/cme': [`T.${es}`],
          futures: ['T.*'],
        });
        c.send({ action: 'subscribe', params: `T.${es}.` });
        await c.waitFor(
          isStatus(
            'error',
            `invalid topic for futures/cme: T.${es}. (the symbol starts or ends with '.')`,
          ),
        );
        assert.deepEqual(relay.metrics().upstreamTopics['futures/cme'], [`T.${es}`]);
        // A client of one exchange does not get another's contracts.
        c.send({ action: 'subscribe', params: 'T.*' });
        await c.waitFor(isAck('subscribed', 'T.*'));
        const from = c.events.length;
        await c.waitForMany(isData, 50, from);
        const foreign = c.events
          .slice(from)
          .filter((e) => isData(e) && /^(CL|GC|ZN)/.test(String(e['sym'])));
        assert.deepEqual(foreign, []);
      },
    ),
  );
});
