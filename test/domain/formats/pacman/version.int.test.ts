import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { vercmp } from '../../../../domain/formats/pacman/version';

// The real /usr/bin/vercmp (pacman 6.0.2) is the reference: generated pairs, odd ones included, must agree.
const PIECES = ['0', '1', '2', '9', '10', '007', '123456789012345678901', 'a', 'b', 'alpha', 'rc', 'Z', '.', '..', '_', '+', '~', '.a', '1a', 'a1'];

function generator(seed: number): () => number {
  // mulberry32: a fixed seed makes every run test the same pairs.
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function versions(count: number): string[] {
  const random = generator(42);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let v = '';
    const parts = 1 + Math.floor(random() * 5);
    for (let p = 0; p < parts; p++) v += pick(PIECES);
    if (random() < 0.3) v = `${pick(['0', '1', '2', ''])}:${v}`;
    if (random() < 0.5) v = `${v}-${pick(['1', '2', '1.1', '10', 'a'])}`;
    out.push(v.replace(/^[-~]+/, '1'));
  }
  return out;
}

describe('vercmp agrees with pacman', () => {
  it('on 600 generated pairs (and their reverses)', () => {
    const vs = versions(1200);
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i < vs.length; i += 2) pairs.push([vs[i], vs[i + 1]], [vs[i + 1], vs[i]]);
    // Near pairs matter most: same prefix, one piece changed.
    for (let i = 0; i < 100; i++) pairs.push([vs[i], `${vs[i]}${PIECES[i % PIECES.length]}`]);
    const input = pairs.map(([a, b]) => `${a} ${b}\n`).join('');
    const out = execFileSync('bash', ['-c', 'while read -r a b; do /usr/bin/vercmp "$a" "$b"; done'], { input, encoding: 'utf8' });
    const theirs = out.trim().split('\n').map(Number);
    expect(theirs).toHaveLength(pairs.length);
    const disagreements = pairs.map(([a, b], i) => ({ a, b, pacman: theirs[i], ours: vercmp(a, b) })).filter((d) => d.pacman !== d.ours);
    expect(disagreements).toEqual([]);
  });
});
