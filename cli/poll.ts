import { setTimeout as delay } from 'node:timers/promises';
import { isTransient } from './cli-error';

/**
 * Asks the API every `pollMs` until `ask` gives a value (`--wait` of push and rollback). Kiln not answering for a
 * while (a restart) is taken `budget` times in a row; any other error ends the wait.
 */
export async function pollApi<T>(ask: () => Promise<T | undefined>, pollMs: number, budget = 30): Promise<T> {
  let failures = 0;
  for (;;) {
    try {
      const value = await ask();
      failures = 0;
      if (value !== undefined) return value;
    } catch (err) {
      if (!isTransient(err) || ++failures > budget) throw err;
    }
    await delay(pollMs);
  }
}
