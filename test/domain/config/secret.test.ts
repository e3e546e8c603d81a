import * as util from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../../domain/secret';

describe('Secret', () => {
  const secret = new Secret('hunter2');

  it('prints as [secret] everywhere', () => {
    expect(JSON.stringify({ secret })).toBe('{"secret":"[secret]"}');
    expect(util.inspect({ secret }, { showHidden: true, depth: null })).not.toContain('hunter2');
    expect(`${secret}`).toBe('[secret]');
    expect(Object.keys(secret)).toEqual([]);
    expect({ ...secret }).toEqual({});
  });

  it('reveals a copy of its bytes', () => {
    const bytes = secret.reveal();
    expect(bytes.toString()).toBe('hunter2');
    bytes.fill(0);
    expect(secret.reveal().toString()).toBe('hunter2');
  });

  it('copies the buffer it was given', () => {
    const source = Buffer.from('abc');
    const s = new Secret(source);
    source.fill(0);
    expect(s.reveal().toString()).toBe('abc');
  });

  it('refuses an empty value', () => {
    expect(() => new Secret('')).toThrow(TypeError);
  });
});
