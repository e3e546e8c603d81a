import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyLock } from '../../../activities/builder/key-lock';

describe('KeyLock', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-key-lock-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is held by one taker at a time, however many try at once', async () => {
    const file = path.join(dir, 'many.lock');
    const takers = await Promise.all(Array.from({ length: 50 }, () => KeyLock.tryAcquire(file)));
    expect(takers.filter(Boolean)).toHaveLength(1);
    await takers.find(Boolean)!.release();
    expect(await KeyLock.tryAcquire(file)).toBeDefined();
  });

  it('leaves a lock file that is still empty (its taker is writing it) to its taker, until it is old', async () => {
    const file = path.join(dir, 'torn.lock');
    fs.writeFileSync(file, '');
    expect(await KeyLock.tryAcquire(file)).toBeUndefined();
    const old = new Date(Date.now() - KeyLock.STALE_MS - 1000);
    fs.utimesSync(file, old, old);
    const lock = await KeyLock.tryAcquire(file);
    expect(lock).toBeDefined();
    await lock!.release();
  });

  it('takes over at once from a dead holder on this host', async () => {
    const file = path.join(dir, 'dead.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    fs.writeFileSync(file, JSON.stringify({ host: os.hostname(), pid: Number(dead.stdout), at: new Date().toISOString() }));
    const lock = await KeyLock.tryAcquire(file);
    expect(lock).toBeDefined();
    await lock!.release();
  });
});
