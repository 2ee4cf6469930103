// Ctrl-C in the CLI: the first one stops gracefully, the second quits.

/**
 * Ctrl-C (SIGINT) or SIGTERM: `stop` the first time (saying so unless `quiet`), `quit` the second.
 * Also `stop` when the process that started this one with an IPC channel (a sweep) goes away.
 * Returns the un-install.
 */
export function onInterrupt(what: string, quiet: boolean, stop: () => void, quit: () => void): () => void {
  let interrupts = 0;
  const say = (line: string) => quiet || process.stderr.write(`\n${line}\n`);
  const handler = () => {
    if (++interrupts > 1) return quit();
    say(`stopping ${what} (Ctrl-C again to quit at once)…`);
    stop();
  };
  const gone = () => {
    say(`the sweep that started this process has gone; stopping ${what}…`);
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('disconnect', gone);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    process.off('disconnect', gone);
  };
}
