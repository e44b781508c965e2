/**
 * A consumer of a partitioned stream in its own process, for tests that SIGKILL it mid-batch:
 * `node --import tsx test/helpers/partition-consumer.ts <url> <key> <group> <consumer> <partitions>
 * <leaseMs> <handleMs> <stallAfter>`. For every event it handled (after `handleMs` of work) it prints
 * one line `<partition> <sym> <q>` on stdout (pipes are written synchronously on Linux, so a line
 * printed was handled); `ready` once it reads. The event after the first `stallAfter` it never
 * finishes: it prints `stalled <partition> <q>` and hangs there (mid-batch: that entry at least is
 * pending), waiting for the SIGKILL.
 */
import { StreamReader } from '../../src/redis/index.js';

const [url, key, group, consumer, partitions, leaseMs, handleMs, stallAfter] =
  process.argv.slice(2);
const reader = new StreamReader({
  url: url!,
  key: key!,
  group: group!,
  consumer: consumer!,
  partitions: Number(partitions),
  leaseMs: Number(leaseMs),
  blockMs: 50,
  count: 20,
  start: '0',
  onError: (err) => process.stderr.write(`${err.code} ${err.message}\n`),
});
process.stdout.write('ready\n');
let handled = 0;
for await (const entry of reader.entries()) {
  if (handled++ === Number(stallAfter)) {
    process.stdout.write(`stalled ${entry.partition} ${String(entry.event['q'])}\n`);
    await new Promise(() => {});
  }
  await new Promise((resolve) => setTimeout(resolve, Number(handleMs)));
  process.stdout.write(
    `${entry.partition} ${String(entry.event['sym'])} ${String(entry.event['q'])}\n`,
  );
}
