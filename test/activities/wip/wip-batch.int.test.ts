import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WipKey } from '../../../activities/wip/wip-key';
import { WipRepo } from '../../../activities/wip/wip-repo';
import { DataLayout, type PushRef } from '../../../domain/data-layout';

// Builds of a wide push end together: their adds to the WIP repository run as batches, each indexing once, and
// every build still lands in the index; a key without a record fails only the add that asked for it.
describe('WipRepo.add, many at once', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-wip-batch-'));
  const layout = new DataLayout(root);
  const push: PushRef = { tree: 't', branch: 'main', commit: 'c'.repeat(40) };
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  function built(i: number): string {
    const key = `k${String(i).padStart(3, '0')}`;
    const bytes = Buffer.from(`package ${i}\n`);
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    fs.mkdirSync(layout.store, { recursive: true });
    fs.writeFileSync(path.join(layout.store, sha256), bytes);
    const name = `p${i}`;
    fs.mkdirSync(path.dirname(layout.buildRecord(key)), { recursive: true });
    fs.writeFileSync(layout.buildRecord(key), JSON.stringify({
      key, spec: { tree: 't', suite: 'bookworm', source: name, version: '1.0', arch: 'amd64', scope: 'any', treeHash: 'a'.repeat(40) },
      image: 'i', builtAt: new Date().toISOString(), durationMs: 1, log: 'l', files: [],
      artifacts: [{
        file: `${name}_1.0_amd64.deb`, sha256, size: bytes.length, package: name, version: '1.0', architecture: 'amd64',
        stanza: `Package: ${name}\nVersion: 1.0\nArchitecture: amd64\nSize: ${bytes.length}\nSHA256: ${sha256}`,
      }],
    }));
    return key;
  }

  it('indexes 40 concurrent adds in batches, every build in the lane', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => built(i));
    // Each index of the lane is signed once: count the signatures.
    let indexes = 0;
    const key = new (class extends WipKey {
      override async clearsign(release: string): Promise<string> {
        indexes++;
        return super.clearsign(release);
      }
    })(layout.wipKeyDir);
    const manifest = path.join(layout.wip(push), 'amd64', 'kiln-manifest.json');
    const results = await Promise.all(keys.map((k) => new WipRepo(layout, key, push).add([k])));
    expect(results.every((r) => r.lanes.includes('amd64'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(manifest, 'utf8'))).toEqual([...keys].sort());
    const packages = fs.readFileSync(path.join(layout.wip(push), 'amd64', 'Packages'), 'utf8');
    for (let i = 0; i < 40; i++) expect(packages).toContain(`Package: p${i}\n`);
    // The first add runs alone; the other 39 wait for it and go in together (a few batches at most).
    expect(indexes).toBeGreaterThan(0);
    expect(indexes).toBeLessThan(10);
  });

  it('fails only the add whose key has no record', async () => {
    const key = new WipKey(layout.wipKeyDir);
    const good = built(100);
    const [missing, fine] = await Promise.allSettled([
      new WipRepo(layout, key, push).add(['never-built']),
      new WipRepo(layout, key, push).add([good]),
    ]);
    expect(missing.status).toBe('rejected');
    expect(String((missing as PromiseRejectedResult).reason)).toMatch(/build never-built has no record/);
    expect(fine).toEqual({ status: 'fulfilled', value: { lanes: ['amd64'] } });
    expect(JSON.parse(fs.readFileSync(path.join(layout.wip(push), 'amd64', 'kiln-manifest.json'), 'utf8'))).toContain(good);
  });
});
