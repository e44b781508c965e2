/**
 * How consumers share partitions (partition-balance.ts), without Redis: each consumer's plan from
 * what the heartbeats say, and a simulation of rounds (every consumer plans, releases, then takes
 * free partitions) that must settle with every partition owned once and shares within one of
 * each other, as consumers join and die.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { balance } from '../../src/redis/reader/partitions/partition-balance.js';

test('alone: want every partition, starting where the name points, none twice', () => {
  const plan = balance({ partitions: 8, me: 'c1', owned: [], live: new Map() });
  assert.equal(plan.want, 8);
  assert.deepEqual([...plan.candidates].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(plan.release, []);
});

test('more than ceil(P / N): release the ones taken last', () => {
  const live = new Map([
    ['c1', 8],
    ['c2', 0],
  ]);
  const plan = balance({ partitions: 8, me: 'c1', owned: [3, 1, 4, 0, 5, 2, 6, 7], live });
  assert.deepEqual(plan.release, [5, 2, 6, 7]);
  assert.equal(plan.want, 0);
});

test('a newcomer in a full group: the most loaded give one each; at the share nobody moves', () => {
  // 8 partitions, 5 consumers: shares 1 or 2; four hold 2, the newcomer 0.
  const live = new Map([
    ['a', 2],
    ['b', 2],
    ['c', 2],
    ['d', 2],
    ['e', 0],
  ]);
  assert.deepEqual(balance({ partitions: 8, me: 'a', owned: [0, 1], live }).release, [1]);
  const newcomer = balance({ partitions: 8, me: 'e', owned: [], live });
  assert.equal(newcomer.want, 2);
  const settled = new Map([
    ['a', 2],
    ['b', 2],
    ['c', 2],
    ['d', 1],
    ['e', 1],
  ]);
  const plan = balance({ partitions: 8, me: 'a', owned: [0, 1], live: settled });
  assert.deepEqual(plan, { release: [], candidates: [], want: 0 });
});

test('fewer partitions than consumers: one each at most, the rest idle', () => {
  const live = new Map([
    ['a', 1],
    ['b', 1],
    ['c', 0],
  ]);
  assert.deepEqual(balance({ partitions: 2, me: 'c', owned: [], live }).want, 1);
  assert.deepEqual(balance({ partitions: 2, me: 'a', owned: [0], live }).release, []);
});

/** Rounds of every live consumer planning in turn; free partitions are taken first come. */
function simulate(
  partitions: number,
  events: { round: number; join?: string; die?: string }[],
  rounds: number,
): { owner: (string | null)[]; settledAt: number[] } {
  const owner: (string | null)[] = Array(partitions).fill(null);
  const owned = new Map<string, number[]>();
  const settledAt: number[] = [];
  let stable = false;
  for (let r = 0; r < rounds; r++) {
    for (const e of events.filter((x) => x.round === r)) {
      if (e.join) owned.set(e.join, []);
      if (e.die) {
        // Its leases expire: the partitions are free, it is gone from the heartbeats.
        for (const p of owned.get(e.die) ?? []) owner[p] = null;
        owned.delete(e.die);
      }
      stable = false;
    }
    let changed = false;
    for (const [me, mine] of owned) {
      const live = new Map([...owned].map(([c, ps]) => [c, ps.length]));
      const plan = balance({ partitions, me, owned: mine, live });
      for (const p of plan.release) {
        owner[p] = null;
        mine.splice(mine.indexOf(p), 1);
        changed = true;
      }
      let want = plan.want;
      for (const p of plan.candidates) {
        if (want === 0) break;
        if (owner[p] !== null) continue;
        owner[p] = me;
        mine.push(p);
        want--;
        changed = true;
      }
    }
    if (!changed && !stable) {
      stable = true;
      settledAt.push(r);
    }
  }
  return { owner, settledAt };
}

function assertFair(owner: (string | null)[], consumers: string[]): void {
  assert.ok(
    owner.every((o) => o !== null),
    `every partition owned: ${owner.join(',')}`,
  );
  const counts = consumers.map((c) => owner.filter((o) => o === c).length);
  assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `shares ${counts.join('/')}`);
}

test('simulated: 4 consumers start together on 8 partitions, settle at 2 each', () => {
  const { owner, settledAt } = simulate(
    8,
    ['a', 'b', 'c', 'd'].map((join) => ({ round: 0, join })),
    20,
  );
  assertFair(owner, ['a', 'b', 'c', 'd']);
  assert.ok(settledAt[0]! <= 4, `settled in ${settledAt[0]} rounds`);
});

test('simulated: joins one after another, then a death: every partition owned again, fair', () => {
  const { owner, settledAt } = simulate(
    8,
    [
      { round: 0, join: 'a' },
      { round: 5, join: 'b' },
      { round: 10, join: 'c' },
      { round: 15, join: 'd' },
      { round: 20, join: 'e' },
      { round: 30, die: 'b' },
    ],
    40,
  );
  assertFair(owner, ['a', 'c', 'd', 'e']);
  assert.equal(settledAt.length, 6, `settled after each change: ${settledAt.join(',')}`);
  // Each change settles within a few rounds (a round is a third of a lease).
  const changes = [0, 5, 10, 15, 20, 30];
  settledAt.forEach((r, i) =>
    assert.ok(r - changes[i]! <= 4, `change ${i} took ${r - changes[i]!}`),
  );
});
