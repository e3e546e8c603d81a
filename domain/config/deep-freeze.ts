import { Secret } from '../secret';

/**
 * Freezes plain objects and arrays all the way down, so no module can change the configuration others read.
 * A Secret is frozen but not entered: its bytes sit in a private field and it hands out copies only.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (!(value instanceof Secret)) {
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return Object.freeze(value);
}
