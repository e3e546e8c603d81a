import type { TemporalDevServer } from './temporal-dev-server';

/**
 * The embedded default heals itself: a Temporal dev server that dies (kill -9, OOM) is started again on the same
 * SQLite file, which is its whole state, so every workflow carries on where it was. Workers need nothing: their
 * polls fail while it is down and succeed once it is back (a worker that gives up exits, and the supervisor restarts
 * it). A server that keeps dying backs off to 30 s between tries; one that ran a minute starts over at 1 s.
 */
export function keepTemporalRunning(
  server: TemporalDevServer, log: (line: string) => void, options: { resetAfterMs?: number } = {},
): { stop(): void } {
  const resetAfterMs = options.resetAfterMs ?? 60_000;
  let stopped = false;
  let attempt = 0;
  let startedAt = Date.now();
  let timer: NodeJS.Timeout | undefined;

  const restart = async (): Promise<void> => {
    if (stopped) return;
    try {
      await server.start();
      startedAt = Date.now();
      log(`kiln: the Temporal dev server is back at ${server.address} (state: ${server.options.dbFile})`);
    } catch (err) {
      if (!stopped) schedule(`did not start again: ${String(err)}`, false);
    }
  };
  // Only a crash of a server that ran a minute starts the backoff over; a failed start always backs off further.
  const schedule = (why: string, crashed: boolean): void => {
    attempt = crashed && Date.now() - startedAt > resetAfterMs ? 1 : attempt + 1;
    const delay = Math.min(30_000, 1_000 * 2 ** (attempt - 1));
    log(`kiln: the Temporal dev server ${why}; restarting it in ${delay / 1000} s`);
    timer = setTimeout(() => void restart(), delay);
  };

  server.onCrash((how) => { if (!stopped) schedule(`exited (${how})`, true); });
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
