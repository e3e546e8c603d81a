import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEFAULT_BUILD, findTree, loadConfig, parseConfig } from '../../../domain/config';
import { KilnError } from '../../../domain/errors';
import { PROJECT_ROOT } from '../../../domain/project-paths';
import { BASE_DIR, minimal, tempDir, writeFile } from './helpers';

const MINIMAL_FILE = `dataDir: ./data
api: { port: 8080 }
trees:
  - name: example
    url: ./examples/ports
    format: deb
    distribution: bookworm
    branches: [main]
    architectures: [amd64, i386]
`;

describe('loadConfig: the minimal file', () => {
  it('loads exactly as written, with every default and paths resolved against the file\'s folder', () => {
    const dir = tempDir();
    const config = loadConfig(writeFile(dir, 'kiln.yaml', MINIMAL_FILE), {});
    expect(config).toEqual({
      dataDir: path.join(dir, 'data'),
      api: { port: 8080, host: '127.0.0.1', publicUrl: 'http://127.0.0.1:8080', readsRequireToken: false, healthChecks: ['temporal', 'docker'], blobMaxMb: 8192 },
      temporal: { address: '127.0.0.1:7233', namespace: 'default', uiUrl: 'http://127.0.0.1:8233', embedded: true },
      signer: { keysDir: path.join(dir, 'keys'), passwordDir: path.join(dir, 'keys'), signaturesPerMinute: 60, rotation: { overlapDays: 30 } },
      build: { concurrency: 2, timeoutMinutes: 60, memoryMb: 2048, cpus: 1, pids: 1024, diskMb: 10240, logMaxMb: 100, minFreeMb: 2048, network: false, installTest: true },
      mail: { sendmail: '/usr/sbin/sendmail', from: `kiln@${os.hostname()}` },
      retention: { logsDays: 90, workflowDays: 30, gcEveryHours: 6 },
      trees: [{
        name: 'example',
        url: path.join(dir, 'examples', 'ports'),
        format: 'deb',
        distribution: 'bookworm',
        branches: ['main'],
        architectures: ['amd64', 'i386'],
        build: { concurrency: 2, timeoutMinutes: 60, memoryMb: 2048, cpus: 1, pids: 1024, diskMb: 10240, logMaxMb: 100, minFreeMb: 2048, network: false, installTest: true },
        publish: { suites: { main: 'main' }, keepSnapshots: 10, targets: [] },
        notify: [],
      }],
    });
  });

  it('resolves against the file, not the working directory', () => {
    const dir = tempDir();
    const file = writeFile(dir, 'etc/kiln.yaml', MINIMAL_FILE);
    expect(loadConfig(path.relative(process.cwd(), file), {}).dataDir).toBe(path.join(dir, 'etc', 'data'));
  });

  it('loads the kiln.yaml shipped at the project root', () => {
    const config = loadConfig(path.join(PROJECT_ROOT, 'kiln.yaml'), {});
    expect(config.dataDir).toBe(path.join(PROJECT_ROOT, 'data'));
    expect(config.trees.map((t) => [t.name, t.format, t.architectures])).toEqual([['example', 'deb', ['amd64', 'i386', 'arm64']], ['example-arch', 'pacman', ['x86_64']]]);
  });

  it('a missing file is CONFIG_NOT_FOUND naming the path', () => {
    const file = path.join(tempDir(), 'nope.yaml');
    let thrown: unknown;
    try {
      loadConfig(file, {});
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(KilnError);
    expect((thrown as KilnError).code).toBe('CONFIG_NOT_FOUND');
    expect((thrown as KilnError).message).toContain(file);
  });

  it('names the file in validation errors', () => {
    const file = writeFile(tempDir(), 'kiln.yaml', 'dataDir: ./data\n');
    expect(() => loadConfig(file, {})).toThrow(`${file} is invalid`);
  });
});

describe('parseConfig: every field', () => {
  const full = {
    dataDir: '/var/lib/kiln',
    api: { port: 9000, host: '0.0.0.0', publicUrl: 'https://kiln.example.com/' },
    temporal: { address: 'temporal.internal:7233', namespace: 'kiln', uiUrl: 'https://temporal.example.com', embedded: false },
    build: { concurrency: 4, timeoutMinutes: 120, memoryMb: 4096, cpus: 2, pids: 2048, diskMb: 2048, logMaxMb: 5, minFreeMb: 512, network: true, installTest: false },
    trees: [
      { ...minimal().trees[0], name: 'main-tree', url: 'https://git.example.com/ports.git', branches: ['main', 'release/1.x'],
        architectures: ['i386', 'amd64'], build: { memoryMb: 8192, cpus: 0.5 } },
      { ...minimal().trees[0], name: 'scp', url: 'git@git.example.com:org/ports.git' },
      { ...minimal().trees[0], name: 'ssh', url: 'ssh://git@git.example.com:2222/org/ports.git' },
      { ...minimal().trees[0], name: 'file', url: 'file:///srv/git/ports.git' },
      { ...minimal().trees[0], name: 'abs', url: '/srv/git/ports' },
    ],
  };
  const config = parseConfig(stringify(full), BASE_DIR, {});

  it('keeps given values and strips a trailing slash from publicUrl', () => {
    expect(config.dataDir).toBe('/var/lib/kiln');
    expect(config.api).toEqual({ port: 9000, host: '0.0.0.0', publicUrl: 'https://kiln.example.com', readsRequireToken: false, healthChecks: ['temporal', 'docker'], blobMaxMb: 8192 });
    expect(config.temporal).toEqual(full.temporal);
    expect(config.build).toEqual(full.build);
  });

  it('resolves temporal.tls and signer paths against the config folder', () => {
    const tls = parseConfig(stringify({ ...full, temporal: { ...full.temporal, tls: { caFile: 'tls/ca.pem', certFile: 'tls/c.pem', keyFile: '/etc/k.pem' } },
      signer: { passwordDir: 'secrets', signaturesPerMinute: 5 } }), BASE_DIR, {});
    expect(tls.temporal.tls).toEqual({ caFile: path.join(BASE_DIR, 'tls/ca.pem'), certFile: path.join(BASE_DIR, 'tls/c.pem'), keyFile: '/etc/k.pem' });
    expect(tls.signer).toEqual({ keysDir: path.join(BASE_DIR, 'keys'), passwordDir: path.join(BASE_DIR, 'secrets'), signaturesPerMinute: 5, rotation: { overlapDays: 30 } });
  });

  it('refuses a client certificate without its key', () => {
    expect(() => parseConfig(stringify({ ...full, temporal: { embedded: false, tls: { caFile: 'ca.pem', certFile: 'c.pem' } } }), BASE_DIR, {}))
      .toThrow('certFile and keyFile go together');
  });

  it('refuses temporal.tls with the embedded dev server (plain gRPC only), also when embedded is the default', () => {
    for (const temporal of [{ embedded: true, tls: { caFile: 'ca.pem' } }, { tls: { caFile: 'ca.pem' } }]) {
      expect(() => parseConfig(stringify({ ...full, temporal }), BASE_DIR, {})).toThrow('needs temporal.embedded: false');
    }
  });

  it('merges per-tree build overrides into the global limits', () => {
    expect(findTree(config, 'main-tree').build).toEqual({ concurrency: 4, timeoutMinutes: 120, memoryMb: 8192, cpus: 0.5, pids: 2048, diskMb: 2048, logMaxMb: 5, minFreeMb: 512, network: true, installTest: false });
    expect(findTree(config, 'scp').build).toEqual(full.build);
  });

  it('keeps the architecture order (the first builds Architecture: all)', () => {
    expect(findTree(config, 'main-tree').architectures).toEqual(['i386', 'amd64']);
  });

  it('passes remote URLs through and keeps absolute paths', () => {
    expect(config.trees.map((t) => t.url)).toEqual([
      'https://git.example.com/ports.git',
      'git@git.example.com:org/ports.git',
      'ssh://git@git.example.com:2222/org/ports.git',
      'file:///srv/git/ports.git',
      '/srv/git/ports',
    ]);
  });

  it('derives publicUrl from host and port, bracketing IPv6', () => {
    const v6 = parseConfig(stringify({ ...minimal(), api: { host: '::1', port: 8443 } }), BASE_DIR, {});
    expect(v6.api.publicUrl).toBe('http://[::1]:8443');
  });

  it('applies build defaults when no build section is given', () => {
    expect(parseConfig(stringify(minimal()), BASE_DIR, {}).build).toEqual(DEFAULT_BUILD);
  });
});

describe('the loaded configuration is deeply frozen', () => {
  const config = parseConfig(stringify(minimal()), BASE_DIR, {});

  it('at every level', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.api)).toBe(true);
    expect(Object.isFrozen(config.trees)).toBe(true);
    expect(Object.isFrozen(config.trees[0])).toBe(true);
    expect(Object.isFrozen(config.trees[0].architectures)).toBe(true);
    expect(Object.isFrozen(config.trees[0].build)).toBe(true);
  });

  it('so writes throw', () => {
    expect(() => { (config as unknown as { dataDir: string }).dataDir = '/tmp'; }).toThrow(TypeError);
    expect(() => { (config.trees[0].branches as string[]).push('evil'); }).toThrow(TypeError);
  });
});

describe('findTree', () => {
  const config = parseConfig(stringify(minimal()), BASE_DIR, {});

  it('finds a tree by name', () => {
    expect(findTree(config, 'example').name).toBe('example');
  });

  it('throws TREE_UNKNOWN (404) naming the configured trees', () => {
    expect(() => findTree(config, 'other')).toThrow(expect.objectContaining({ code: 'TREE_UNKNOWN', status: 404 }));
    expect(() => findTree(config, 'other')).toThrow(/no tree named "other".*configured: example/);
  });
});
