// Asserts a coded KilnError with a reason, for the sync and async entry points alike.
import { expect } from 'vitest';
import { KilnError, type ErrorCode } from '../../../../domain/errors';

function check(caught: unknown, code: ErrorCode, reason: RegExp): void {
  expect(caught).toBeInstanceOf(KilnError);
  expect((caught as KilnError).code).toBe(code);
  expect((caught as KilnError).message).toMatch(reason);
}

export function expectKilnError(fn: () => unknown, code: ErrorCode, reason: RegExp): void {
  let caught: unknown;
  try { fn(); } catch (err) { caught = err; }
  check(caught, code, reason);
}

export async function expectKilnRejection(promise: Promise<unknown>, code: ErrorCode, reason: RegExp): Promise<void> {
  let caught: unknown;
  try { await promise; } catch (err) { caught = err; }
  check(caught, code, reason);
}
