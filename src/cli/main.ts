/**
 * The `polygon-stream` executable: runs the command line (program.ts) and exits with its code once
 * stdout has taken everything written to it.
 */
import { main } from './program.js';

/** Exit once stdout has taken everything written to it (pipes may be asynchronous). */
function exit(code: number): void {
  process.exitCode = code;
  if (process.stdout.destroyed || process.stdout.writableEnded) process.exit(code);
  setTimeout(() => process.exit(code), 2_000).unref();
  process.stdout.write('', () => process.exit(code));
}

main(process.argv).then(exit, (err: unknown) => {
  process.stderr.write(`internal error: ${String(err)}\n`);
  process.exit(1);
});
