import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { spliceXz, xzBlocks, XzFormatError } from '../../../domain/compress/xz-stream';

const xz = (text: string, ...args: string[]) => execFileSync('xz', ['--compress', '--stdout', '-6', ...args], { input: text });
const unxz = (data: Buffer) => execFileSync('xz', ['--decompress', '--stdout'], { input: data }).toString();

describe('xz stream splicing', () => {
  it('joins the blocks of several streams, multi-block ones too, into one stream xz verifies', () => {
    const big = 'line of text\n'.repeat(50_000);
    const parts = [xz('first\n'), xz(big, '--block-size=100000'), xz('')].map(xzBlocks);
    expect(parts[1].records.length).toBeGreaterThan(1);
    expect(parts[2].records).toEqual([]);
    const joined = spliceXz(parts);
    execFileSync('xz', ['--test'], { input: joined });
    expect(unxz(joined)).toBe(`first\n${big}`);
  });

  it('refuses what is not one intact stream', () => {
    const one = xz('some text\n');
    expect(() => xzBlocks(Buffer.from('not xz at all, but long enough to parse'))).toThrow(XzFormatError);
    // Two streams back to back: the last one's index does not describe the bytes before it.
    expect(() => xzBlocks(Buffer.concat([one, one]))).toThrow(/do not fill/);
    const torn = Buffer.from(one);
    torn[torn.length - 20] ^= 0xff;
    expect(() => xzBlocks(torn)).toThrow(XzFormatError);
    expect(() => spliceXz([xzBlocks(one), xzBlocks(xz('x', '--check=sha256'))])).toThrow(/check types/);
  });
});
