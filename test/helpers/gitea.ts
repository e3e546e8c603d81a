import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { freePort } from './ports';
import { WatchedProcess } from './watched-process';

// A real Gitea for tests: the binary setup builds into the tools dir (scripts/lib/gitea.sh), on 127.0.0.1 with
// SQLite in a folder of the test's, an admin user and an access token. It sends real webhooks (loopback allowed) and
// serves git over HTTP and its REST API (/api/v1).

const TOOLS = process.env.KILN_TOOLS_DIR ?? path.join(PROJECT_ROOT, '.tools');
export const GITEA_VERSION = 'v1.26.0';
const GITEA_BIN = path.join(TOOLS, 'bin', 'gitea');
// Built without bindata, Gitea reads its locales (options/) from the module copy it was built in.
const GITEA_SRC = path.join(TOOLS, 'gitea-src', GITEA_VERSION);

export class GiteaServer {
  readonly user = 'kiln';
  readonly password = 'kiln-test-password-1';
  token = '';
  url = '';
  private process?: WatchedProcess;
  private readonly config: string;

  constructor(readonly dir: string) {
    this.config = path.join(dir, 'custom', 'conf', 'app.ini');
  }

  async start(): Promise<void> {
    if (!fs.existsSync(GITEA_BIN) || !fs.existsSync(path.join(GITEA_SRC, 'options'))) {
      throw new Error(`${GITEA_BIN} (and its sources in ${GITEA_SRC}) are missing: run \`npm run setup\``);
    }
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    fs.mkdirSync(path.dirname(this.config), { recursive: true });
    fs.writeFileSync(this.config, [
      'APP_NAME = kiln-test',
      'RUN_MODE = prod',
      // The tests run as root; Gitea refuses that unless told.
      'I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true',
      `WORK_PATH = ${this.dir}`,
      '[server]',
      'HTTP_ADDR = 127.0.0.1',
      `HTTP_PORT = ${port}`,
      `ROOT_URL = ${this.url}/`,
      `STATIC_ROOT_PATH = ${GITEA_SRC}`,
      'OFFLINE_MODE = true',
      'DISABLE_SSH = true',
      '[database]',
      'DB_TYPE = sqlite3',
      `PATH = ${path.join(this.dir, 'gitea.db')}`,
      '[security]',
      'INSTALL_LOCK = true',
      '[webhook]',
      // Kiln listens on loopback; Gitea delivers only to hosts it is allowed to.
      'ALLOWED_HOST_LIST = loopback',
      '[repository]',
      `ROOT = ${path.join(this.dir, 'repos')}`,
      '[log]',
      'MODE = console',
      'LEVEL = Warn',
      '[service]',
      'DISABLE_REGISTRATION = true',
      '[cron]',
      'ENABLED = false',
    ].join('\n') + '\n');
    this.cli('migrate');
    this.cli('admin', 'user', 'create', '--admin', '--username', this.user, '--password', this.password, '--email', 'kiln@example.org', '--must-change-password=false');
    this.token = this.cli('admin', 'user', 'generate-access-token', '--username', this.user, '--scopes', 'all', '--raw').split('\n').pop()!.trim();
    this.process = new WatchedProcess('gitea', GITEA_BIN, ['web', '--config', this.config, '--work-path', this.dir]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const answer = await fetch(`${this.url}/api/v1/version`).catch(() => undefined);
      if (answer?.ok) break;
      if (!this.process.alive || Date.now() > deadline) throw new Error(`Gitea did not come up on ${this.url}:\n${this.process.tail(40)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private cli(...args: string[]): string {
    return execFileSync(GITEA_BIN, [...args, '--config', this.config, '--work-path', this.dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  }

  /** A call of Gitea's REST API as the admin user; the parsed JSON answer (or undefined for 204). Non-2xx throws. */
  async api<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
    const answer = await fetch(`${this.url}/api/v1${route}`, {
      method,
      headers: { Authorization: `token ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await answer.text();
    if (!answer.ok) throw new Error(`Gitea ${method} ${route} answered ${answer.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The clone URL of a repository, with the admin's credentials for pushing when `auth`. */
  cloneUrl(repo: string, auth = false): string {
    const u = new URL(`${this.url}/${this.user}/${repo}.git`);
    if (auth) { u.username = this.user; u.password = this.password; }
    return u.href;
  }

  tail(lines = 40): string {
    return this.process?.tail(lines) ?? '';
  }

  async stop(): Promise<void> {
    await this.process?.kill('SIGTERM');
  }
}
