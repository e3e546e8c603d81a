import { expect } from 'vitest';
import { KilnError, type ErrorCode } from '../../../domain/errors';

/** Runs `fn`, asserts it throws a KilnError with `code` and a message matching `message`; returns the error. */
export function expectKilnError(fn: () => unknown, code: ErrorCode, message: RegExp): KilnError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(KilnError);
  const err = thrown as KilnError;
  expect(err.code).toBe(code);
  expect(err.message).toMatch(message);
  return err;
}
