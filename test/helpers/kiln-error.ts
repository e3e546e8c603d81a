import { KilnError } from '../../domain/errors';

/** The KilnError `fn` throws (anything else it throws is rethrown; throwing nothing fails the test). */
export function errorOf(fn: () => unknown): KilnError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KilnError) return e;
    throw e;
  }
  throw new Error('expected a KilnError, nothing was thrown');
}
