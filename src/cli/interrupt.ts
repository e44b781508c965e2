/** The long-running commands (`simulate`, `relay`) run until Ctrl-C or a termination signal. */

/** Resolves on the first SIGINT or SIGTERM, after removing both listeners. */
export function untilInterrupted(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
