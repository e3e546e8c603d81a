import * as util from 'node:util';

const REDACTED = '[secret]';

/**
 * A secret value (webhook secret, token) that never prints itself: JSON, util.inspect, String() and template
 * literals all show `[secret]`. The bytes live in a private field, so no enumeration or spread can reach them;
 * only an explicit `reveal()` can.
 */
export class Secret {
  readonly #value: Buffer;

  constructor(value: Buffer | string) {
    // A copy: the caller's buffer may be reused or zeroed later.
    const bytes = Buffer.from(value);
    // An empty secret would make every HMAC check trivially forgeable.
    if (bytes.length === 0) throw new TypeError('a Secret must not be empty');
    this.#value = bytes;
  }

  /** A copy of the bytes, so no caller can change the secret for everyone else. */
  reveal(): Buffer {
    return Buffer.from(this.#value);
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [util.inspect.custom](): string {
    return REDACTED;
  }
}
