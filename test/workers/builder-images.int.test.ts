import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { docker } from '../../activities/docker/engine';
import { ensureLocalWorkerToken } from '../../api/auth/local-worker-token';
import { builderImageTag } from '../../domain/builder-image';
import { loadConfig } from '../../domain/config';
import { KilnError } from '../../domain/errors';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { checkBuilderImages, configuredBuilderImages } from '../../workers/lib/builder-images';
import { requireCompiledWorkers } from '../helpers/kiln-processes';
import { WatchedProcess } from '../helpers/watched-process';

// A build worker checks at its start that the builder images of its arch are in the real Docker engine: one that is
// not fails the start with BUILDER_IMAGE_MISSING (naming the image and the setup command), before any container runs.
// trixie is a suite setup never builds images for (it builds bookworm's), so its arm64 image is missing here.

function workerConfig(): { file: string; dataDir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-builder-images-'));
  const dataDir = path.join(dir, 'data');
  const file = path.join(dir, 'kiln.yaml');
  fs.writeFileSync(file, [
    `dataDir: ${dataDir}`,
    'temporal: { address: "127.0.0.1:1", embedded: false }',
    'trees:',
    '  - { name: ports, url: /nonexistent, format: deb, distribution: trixie, branches: [main], architectures: [arm64] }',
  ].join('\n') + '\n');
  return { file, dataDir };
}

async function inEngine(tag: string): Promise<boolean> {
  return docker().getImage(tag).inspect().then(() => true, () => false);
}

describe('a build worker whose builder image is missing', () => {
  it('checkBuilderImages refuses the configured arch\'s missing image with BUILDER_IMAGE_MISSING', async () => {
    const { file } = workerConfig();
    const images = configuredBuilderImages(loadConfig(file), 'arm64');
    expect(images).toEqual([builderImageTag('trixie', 'arm64')]);
    expect(await inEngine(images[0])).toBe(false);
    const err = await checkBuilderImages(images).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(KilnError);
    expect(err).toMatchObject({ code: 'BUILDER_IMAGE_MISSING' });
    expect((err as Error).message).toContain(images[0]);

    // A tag no engine has, after ones that may be there: still refused, by name.
    const none = 'kiln-builder:no-such-suite-amd64-000000000000';
    await expect(checkBuilderImages([...images.slice(1), none])).rejects.toMatchObject({ code: 'BUILDER_IMAGE_MISSING', message: expect.stringContaining(none) });
  });

  it('the build worker process exits at its start with BUILDER_IMAGE_MISSING (dist/workers/build.js --config)', async () => {
    requireCompiledWorkers();
    const { file, dataDir } = workerConfig();
    await ensureLocalWorkerToken(dataDir);
    const env = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('KILN_') && name !== 'KILN_TEST_TMPDIR') delete env[name];
    const worker = new WatchedProcess('build-arm64', process.execPath, [path.join(PROJECT_ROOT, 'dist', 'workers', 'build.js'), '--config', file, '--arch', 'arm64'], { env });
    const exit = await worker.exited;
    expect(exit.code, worker.lines.join('\n')).toBe(1);
    expect(worker.lines.join('\n')).toMatch(new RegExp(`kiln build worker: BUILDER_IMAGE_MISSING: image ${builderImageTag('trixie', 'arm64').replace(/[.:]/g, '\\$&')} is not in the Docker engine`));
  });
});
