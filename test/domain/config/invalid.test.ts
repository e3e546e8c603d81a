import { describe, expect, it } from 'vitest';
import { configError, expectProblem, minimal, problemsOf } from './helpers';

type Config = ReturnType<typeof minimal>;

/** The minimal config with one change applied. */
function withChange(change: (c: Config) => void): Config {
  const config = minimal();
  change(config);
  return config;
}

const tree = (c: Config) => c.trees[0];

describe('CONFIG_INVALID: each problem names its field', () => {
  it.each<[string, (c: Config) => void, string, RegExp | string]>([
    ['missing dataDir', (c) => { delete c.dataDir; }, 'dataDir', 'is required'],
    ['missing trees', (c) => { delete (c as Partial<Config>).trees; }, 'trees', 'is required'],
    ['no trees', (c) => { c.trees = []; }, 'trees', 'must not be empty'],
    ['a typo at the top level', (c) => { c.dataDri = './x'; }, 'dataDri', /is not a known field \(expected one of: dataDir, api/],
    ['a typo in api', (c) => { c.api = { prot: 1 }; }, 'api.prot', /is not a known field \(expected one of: port, host, publicUrl, readsRequireToken, healthChecks, blobMaxMb\)/],
    ['a typo in a tree', (c) => { tree(c).branch = ['main']; }, 'trees[0].branch', /is not a known field/],
    ['a typo in build', (c) => { c.build = { memory: 1 }; }, 'build.memory', /is not a known field/],
    ['an unknown architecture', (c) => { tree(c).architectures = ['amd64', 'sparc64']; }, 'trees[0].architectures[1]', 'must be one of amd64, i386, arm64, x86_64, i686'],
    ['a repeated architecture', (c) => { tree(c).architectures = ['amd64', 'amd64']; }, 'trees[0].architectures[1]', /repeats "amd64"/],
    ['no architectures', (c) => { tree(c).architectures = []; }, 'trees[0].architectures', 'must not be empty'],
    ['no branches', (c) => { tree(c).branches = []; }, 'trees[0].branches', 'must not be empty'],
    ['a repeated branch', (c) => { tree(c).branches = ['main', 'dev', 'main']; }, 'trees[0].branches[2]', /repeats "main" \(already at \[0\]\)/],
    ['a branch with a space', (c) => { tree(c).branches = ['main', 'my branch']; }, 'trees[0].branches[1]', /not a valid git branch name/],
    ['a branch with ..', (c) => { tree(c).branches = ['a..b']; }, 'trees[0].branches[0]', /not a valid git branch name: must not contain "\.\."/],
    ['a branch ending in .lock', (c) => { tree(c).branches = ['x.lock']; }, 'trees[0].branches[0]', /\.lock/],
    ['a full ref as branch', (c) => { tree(c).branches = ['refs/heads/main']; }, 'trees[0].branches[0]', /without the refs\/heads\/ prefix/],
    ['branches not a list', (c) => { tree(c).branches = 'main'; }, 'trees[0].branches', 'must be a list'],
    ['an upper-case tree name', (c) => { tree(c).name = 'Example'; }, 'trees[0].name', /lowercase letters/],
    ['a tree name too long', (c) => { tree(c).name = 'a'.repeat(64); }, 'trees[0].name', /1-63/],
    ['a missing tree url', (c) => { delete tree(c).url; }, 'trees[0].url', 'is required'],
    ['an unsupported url scheme', (c) => { tree(c).url = 'ftp://example.com/ports.git'; }, 'trees[0].url', /unsupported scheme "ftp:\/\/"/],
    ['a pacman architecture in a deb tree', (c) => { tree(c).architectures = ['amd64', 'x86_64']; }, 'trees[0].architectures[1]', 'is not an architecture of format deb (amd64, i386, arm64)'],
    ['an unknown format', (c) => { tree(c).format = 'rpm'; }, 'trees[0].format', 'must be one of deb, pacman'],
    ['a bad distribution', (c) => { tree(c).distribution = 'Book Worm'; }, 'trees[0].distribution', /Debian suite or codename/],
    ['a port that is text', (c) => { c.api = { port: 'http' }; }, 'api.port', 'must be a whole number'],
    ['a port out of range', (c) => { c.api = { port: 70000 }; }, 'api.port', /<= 65535/],
    ['a publicUrl that is not http', (c) => { c.api = { publicUrl: 'kiln.example.com' }; }, 'api.publicUrl', /http:\/\/ or https:\/\//],
    ['a temporal address without port', (c) => { c.temporal = { address: 'localhost' }; }, 'temporal.address', /host:port/],
    ['embedded not a boolean', (c) => { c.temporal = { embedded: 'yes' }; }, 'temporal.embedded', 'must be true or false'],
    ['zero concurrency', (c) => { c.build = { concurrency: 0 }; }, 'build.concurrency', /must be >= 1/],
    ['fractional timeout', (c) => { c.build = { timeoutMinutes: 1.5 }; }, 'build.timeoutMinutes', 'must be a whole number'],
    ['zero cpus in a tree override', (c) => { tree(c).build = { cpus: 0 }; }, 'trees[0].build.cpus', /must be > 0/],
    ['a typo in a tree override', (c) => { tree(c).build = { cpu: 2 }; }, 'trees[0].build.cpu', /is not a known field/],
    ['a webhook with both sources', (c) => { tree(c).webhook = { secretFile: 's', secretEnv: 'S' }; }, 'trees[0].webhook', 'must give exactly one of secretFile, secretEnv'],
    ['a webhook with neither', (c) => { tree(c).webhook = {}; }, 'trees[0].webhook', 'must give exactly one of secretFile, secretEnv'],
    ['a webhook with a plain secret', (c) => { tree(c).webhook = { secret: 'hunter2' }; }, 'trees[0].webhook.secret', /is not a known field \(expected one of: secretFile, secretEnv\)/],
    ['a bad env var name', (c) => { tree(c).webhook = { secretEnv: 'MY-SECRET' }; }, 'trees[0].webhook.secretEnv', /environment variable name/],
  ])('%s', (_name, change, at, message) => {
    expectProblem(configError(withChange(change)), at, message);
  });

  it('duplicate tree names point at the second one', () => {
    const err = configError(withChange((c) => { c.trees.push({ ...tree(c) }); }));
    expectProblem(err, 'trees[1].name', 'repeats "example" (already trees[0].name)');
  });

  it('lists every problem at once, one per line, in file order, with line numbers', () => {
    const err = configError(withChange((c) => {
      c.api = { port: 0, hots: 'x' };
      tree(c).architectures = ['amd64', 'sparc64'];
      tree(c).branches = ['a b'];
    }));
    expect(problemsOf(err).map((p) => p.path)).toEqual(['api.port', 'api.hots', 'trees[0].branches[0]', 'trees[0].architectures[1]']);
    const lines = err.message.split('\n');
    expect(lines[0]).toMatch(/is invalid \(4 problems\):$/);
    expect(lines.slice(1)).toHaveLength(4);
    expect(lines[4]).toMatch(/^ {2}trees\[0\]\.architectures\[1\]: must be one of amd64, i386, arm64, x86_64, i686 \(line \d+\)$/);
  });

  it('the problems detail has exactly { path, message }', () => {
    const err = configError(withChange((c) => { tree(c).architectures = ['amd64', 'sparc64']; }));
    expect(err.details).toEqual({ problems: [{ path: 'trees[0].architectures[1]', message: 'must be one of amd64, i386, arm64, x86_64, i686' }] });
  });
});

describe('CONFIG_INVALID: YAML itself', () => {
  it('a syntax error gives line and column', () => {
    const err = configError('dataDir: ./data\ntrees:\n  - name: [unclosed\n');
    expect(err.message).toMatch(/not valid YAML/);
    expect(err.message).toMatch(/line \d+, column \d+/);
  });

  it('a repeated key is an error, not a silent override', () => {
    const err = configError('dataDir: ./a\ndataDir: ./b\ntrees: []\n');
    expect(err.message).toMatch(/line 2, column 1/);
  });

  it('an empty file', () => {
    expectProblem(configError(''), '(root)', /is empty/);
  });

  it('a file that is a list, not a mapping', () => {
    expectProblem(configError('- a\n- b\n'), '(root)', 'must be a mapping (key: value)');
  });
});
