import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, tokenFile } from '../../api/auth/token-file';
import { resolveApiUrl } from '../../cli/cli-config';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { COMMITS, pushStatus } from '../api/routes/rest-fixture';
import { cliFixture, closedPort, type CliFixture } from './cli-fixture';

// Where the CLI finds the API and its token, how tokens are saved (tokens create --save, login), and the exit codes
// of what can go wrong on the way: 2 refused, 3 unreachable, 4 not authorized.

let f: CliFixture;
const tokens: Record<string, string> = {};
const running = { tree: 'ports', branch: 'release/1.x', commit: COMMITS.b };
const cancel = ['cancel', 'ports', '--branch', 'release/1.x', '--commit', COMMITS.b];
/** Who the API took the caller for: the default reason of the last cancel names the token. */
const lastCanceller = () => String(f.control.callsOf('cancel').at(-1)?.[1]).replace('cancelled through the API by ', '');

let configDir: string;
let n = 0;
/** A CLI config file of its own for one test: its path, and the environment that names it. */
function cliConfig(content?: string, mode = 0o600): { file: string; env: Record<string, string> } {
  const file = path.join(configDir, `cli-${++n}.yaml`);
  if (content !== undefined) {
    fs.writeFileSync(file, content);
    fs.chmodSync(file, mode);
  }
  return { file, env: { KILN_CLI_CONFIG: file } };
}

beforeAll(async () => {
  f = await cliFixture();
  configDir = fs.mkdtempSync(path.join(f.home, 'configs-'));
  const live = pushStatus(running, { state: 'building', finishedAt: undefined, publish: undefined });
  f.control.live.set(live.workflowId, live);
  for (const name of ['from-env', 'from-file', 'from-config']) tokens[name] = (await createToken(tokenFile(f.dataDir), name)).token;
});
afterAll(() => f.close());

describe('the token', () => {
  it('comes from $KILN_API_TOKEN first, then $KILN_API_TOKEN_FILE, then the CLI config file', async () => {
    const tokenFileName = path.join(configDir, 'token');
    fs.writeFileSync(tokenFileName, `${tokens['from-file']}\n`);
    const config = cliConfig(`url: ${f.url}\ntoken: ${tokens['from-config']}\n`);
    const all = { ...config.env, KILN_API_TOKEN: tokens['from-env'], KILN_API_TOKEN_FILE: tokenFileName };

    expect((await f.kiln(cancel, { env: all })).code).toBe(0);
    expect(lastCanceller()).toBe('from-env');
    expect((await f.kiln(cancel, { env: { ...all, KILN_API_TOKEN: undefined } })).code).toBe(0);
    expect(lastCanceller()).toBe('from-file');
    expect((await f.kiln(cancel, { env: { ...all, KILN_API_TOKEN: undefined, KILN_API_TOKEN_FILE: undefined } })).code).toBe(0);
    expect(lastCanceller()).toBe('from-config');
  });

  it('is not read from a CLI config file others may read', async () => {
    const config = cliConfig(`url: ${f.url}\ntoken: ${tokens['from-config']}\n`, 0o644);
    const res = await f.kiln(cancel, { env: config.env });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`kiln: CLI_CONFIG_INSECURE: ${config.file} holds an API token but others may read it (mode 0644)`);
    expect(res.stderr).toContain(`chmod 600 ${config.file}`);
    expect(f.control.callsOf('cancel').length).toBeGreaterThan(0);
    // A URL alone may be readable; a token from the environment does not read the file's.
    const urlOnly = cliConfig(`url: ${f.url}\n`, 0o644);
    expect((await f.kiln(['status', 'ports', '--commit', COMMITS.b, '--branch', 'release/1.x'], { env: { ...urlOnly.env, KILN_API_URL: undefined } })).code).toBe(0);
    expect((await f.kiln(cancel, { env: { ...config.env, KILN_API_TOKEN: tokens['from-env'] } })).code).toBe(0);
  });

  it('of the CLI config file goes only to the URL saved with it', async () => {
    const config = cliConfig(`url: http://elsewhere.invalid:8080\ntoken: ${tokens['from-config']}\n`);
    const res = await f.kiln(cancel, { env: config.env });
    expect(res.code).toBe(4);
    expect(res.stderr).toContain(`the token in ${config.file} is for http://elsewhere.invalid:8080, so it was not sent to ${f.url}`);
  });

  it('from an unreadable $KILN_API_TOKEN_FILE is an error, not anonymity', async () => {
    const res = await f.kiln(cancel, { env: { KILN_API_TOKEN_FILE: path.join(configDir, 'missing') } });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^kiln: SECRET_UNREADABLE: .*ENOENT/);
  });

  it('that is missing or wrong: exit 4, saying how to get one', async () => {
    const missing = await f.kiln(cancel);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('no API token was sent');
    const wrong = await f.kiln(cancel, { env: { KILN_API_TOKEN: `kiln_${'x'.repeat(43)}` } });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/^kiln: TOKEN_INVALID: /);
    expect(wrong.stderr).toContain('kiln tokens create <name> --save');
    expect(wrong.stderr).not.toContain('x'.repeat(43));
  });
});

describe('the URL', () => {
  it('comes from the CLI config file in $XDG_CONFIG_HOME, else ~/.config', async () => {
    const status = ['status', 'ports', '--branch', 'release/1.x', '--commit', COMMITS.b];
    const noUrl = { KILN_API_URL: undefined, KILN_CONFIG: undefined };
    const xdg = path.join(configDir, 'xdg');
    fs.mkdirSync(path.join(xdg, 'kiln'), { recursive: true });
    fs.writeFileSync(path.join(xdg, 'kiln', 'cli.yaml'), `url: ${f.url}\n`);
    expect((await f.kiln(status, { env: { ...noUrl, XDG_CONFIG_HOME: xdg } })).code).toBe(0);
    fs.mkdirSync(path.join(f.home, '.config', 'kiln'), { recursive: true });
    fs.writeFileSync(path.join(f.home, '.config', 'kiln', 'cli.yaml'), `url: ${f.url}\n`);
    try {
      expect((await f.kiln(status, { env: noUrl })).code).toBe(0);
    } finally {
      fs.rmSync(path.join(f.home, '.config'), { recursive: true });
    }
  });

  it('is the checkout\'s kiln.yaml (the embedded default) when nothing says otherwise', () => {
    expect(resolveApiUrl({ HOME: configDir })).toEqual({ url: 'http://127.0.0.1:8080', from: path.join(PROJECT_ROOT, 'kiln.yaml') });
  });

  it('comes from the server\'s kiln.yaml when nothing else says', async () => {
    const serverConfig = path.join(configDir, 'kiln.yaml');
    fs.writeFileSync(serverConfig, `api: { publicUrl: "${f.url}/" }\n`);
    const res = await f.kiln(['status', 'ports', '--branch', 'release/1.x', '--commit', COMMITS.b], { env: { KILN_API_URL: undefined, KILN_CONFIG: serverConfig } });
    expect(res.code).toBe(0);
    const named = await f.kiln(['status', 'ports'], { env: { KILN_API_URL: undefined, KILN_CONFIG: path.join(configDir, 'nope.yaml') } });
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/^kiln: CONFIG_NOT_FOUND: /);
  });

  it('--url wins, and must be http(s)', async () => {
    expect((await f.kiln(['status', 'ports', '--branch', 'release/1.x', '--commit', COMMITS.b, '--url', f.url], { env: { KILN_API_URL: 'http://127.0.0.1:1' } })).code).toBe(0);
    const bad = await f.kiln(['status', 'ports', '--url', 'ftp://x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^kiln: USAGE: the API URL from --url is not an http\(s\) URL/);
  });
});

describe('kiln tokens create --save', () => {
  it('prints the token and saves it with the URL (0600): then actions work with nothing else set', async () => {
    const config = cliConfig();
    const res = await f.kiln(['tokens', 'create', 'laptop', '--save'], { env: config.env });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^kiln_[A-Za-z0-9_-]{43}\n$/);
    expect(res.stderr).toContain(`saved it with the API URL ${f.url} in ${config.file}`);
    expect(fs.statSync(config.file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(config.file, 'utf8')).toContain(`token: ${res.stdout.trim()}`);

    const acted = await f.kiln(cancel, { env: { ...config.env, KILN_API_URL: undefined, KILN_CONFIG: undefined } });
    expect(acted.code).toBe(0);
    expect(lastCanceller()).toBe('laptop');

    const list = await f.kiln(['tokens', 'list', '--json']);
    expect(JSON.parse(list.stdout).tokens.map((t: { name: string }) => t.name)).toContain('laptop');
    expect((await f.kiln(['tokens', 'revoke', 'laptop'])).code).toBe(0);
    expect((await f.kiln(cancel, { env: config.env })).code).toBe(4);
  });

  it('saves the server\'s public URL, or the one given', async () => {
    const config = cliConfig();
    expect((await f.kiln(['tokens', 'create', 'public', '--save'], { env: { ...config.env, KILN_API_URL: undefined } })).code).toBe(0);
    expect(fs.readFileSync(config.file, 'utf8')).toContain('url: https://kiln.example.com');
    expect((await f.kiln(['tokens', 'create', 'given', '--save', '--url', f.url], { env: config.env })).code).toBe(0);
    expect(fs.readFileSync(config.file, 'utf8')).toContain(`url: ${f.url}`);
  });

  it('--worker makes a build worker\'s token: listed as such, refused for actions, not savable', async () => {
    const res = await f.kiln(['tokens', 'create', '--worker', 'builder-9']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^kiln_[A-Za-z0-9_-]{43}\n$/);
    expect(res.stderr).toContain('created build worker token "builder-9" (blob exchange only)');
    const list = await f.kiln(['tokens', 'list', '--json']);
    expect(JSON.parse(list.stdout).tokens).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'builder-9', kind: 'worker' })]));
    const acted = await f.kiln(cancel, { env: { KILN_API_URL: f.url, KILN_API_TOKEN: res.stdout.trim() } });
    expect(acted.code).not.toBe(0);
    expect(acted.stderr).toContain('TOKEN_FORBIDDEN');
    expect((await f.kiln(['tokens', 'create', '--worker', 'w2', '--save'])).code).toBe(2);
  });

  it.each([
    [['tokens', 'create', 'ci'], 'TOKEN_EXISTS'],
    [['tokens', 'create', 'bad name!'], 'REQUEST_INVALID'],
    [['tokens', 'revoke', 'nobody'], 'TOKEN_UNKNOWN'],
    [['tokens', 'list', '--save'], 'USAGE'],
    [['tokens', 'rotate'], 'USAGE'],
  ])('%j: exit 2, %s', async (argv, code) => {
    const res = await f.kiln(argv);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`^kiln: ${code}: `));
  });
});

describe('kiln login', () => {
  it('checks the token from stdin and saves it (0600)', async () => {
    const config = cliConfig();
    const res = await f.kiln(['login'], { env: config.env, stdin: `${tokens['from-env']}\n` });
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toBe(`logged in to ${f.url} with the token "from-env"; saved in ${config.file}\n`);
    expect(fs.statSync(config.file).mode & 0o777).toBe(0o600);
    expect((await f.kiln(cancel, { env: { ...config.env, KILN_API_URL: undefined } })).code).toBe(0);
    expect(lastCanceller()).toBe('from-env');
  });

  it('takes $KILN_API_TOKEN and --url; --json says what it saved', async () => {
    const config = cliConfig();
    const res = await f.kiln(['login', '--url', f.url, '--json'], { env: { ...config.env, KILN_API_URL: undefined, KILN_API_TOKEN: tokens['from-file'] } });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ url: f.url, name: 'from-file', config: config.file });
  });

  it('saves nothing when the API refuses the token (exit 4), or when there is none (exit 2)', async () => {
    const config = cliConfig();
    const refused = await f.kiln(['login'], { env: config.env, stdin: `kiln_${'y'.repeat(43)}\n` });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^kiln: TOKEN_INVALID: /);
    const none = await f.kiln(['login'], { env: config.env, stdin: '\n' });
    expect(none.code).toBe(2);
    expect(fs.existsSync(config.file)).toBe(false);
  });
});

describe('exit codes', () => {
  it('3 when nothing listens at the URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const res = await f.kiln(['status', 'ports'], { env: { KILN_API_URL: url } });
    expect(res.code).toBe(3);
    expect(res.stderr).toBe(`kiln: KILN_UNREACHABLE: cannot reach Kiln at ${url}: ECONNREFUSED (the URL is from $KILN_API_URL); is it running?\n`);
    const json = await f.kiln(['status', 'ports', '--json'], { env: { KILN_API_URL: url } });
    expect(JSON.parse(json.stdout).error.code).toBe('KILN_UNREACHABLE');
  });

  it('3 when the API cannot reach Temporal (503)', async () => {
    const bare = await cliFixture({ control: false });
    try {
      const res = await bare.kiln(['push', 'ports'], { env: { KILN_API_TOKEN: bare.token } });
      expect(res.code).toBe(3);
      expect(res.stderr).toMatch(/^kiln: TEMPORAL_UNAVAILABLE: /);
    } finally {
      await bare.close();
    }
  });

  it('4 for reads without a token when the server wants one for reads', async () => {
    const closed = await cliFixture({ readsRequireToken: true });
    try {
      expect((await closed.kiln(['pushes'])).code).toBe(4);
      expect((await closed.kiln(['pushes'], { env: { KILN_API_TOKEN: closed.token } })).code).toBe(0);
    } finally {
      await closed.close();
    }
  });

  it('2 for bad usage; 0 for help', async () => {
    expect((await f.kiln([])).code).toBe(2);
    const unknown = await f.kiln(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^kiln: USAGE: unknown command "frobnicate"/);
    const help = await f.kiln(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toContain('4  not authorized');
    const one = await f.kiln(['logs', '--help']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^usage: kiln logs <tree> <source>/);
    expect((await f.kiln(['help', 'rollback'])).stdout).toMatch(/^usage: kiln rollback/);
  });
});
