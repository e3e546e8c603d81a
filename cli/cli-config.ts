import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_API } from '../domain/config';
import { CliError } from './cli-error';
import { serverApiUrl } from './server-config';

// Where the CLI finds the API and its token. Secrets never come from argv (it shows in `ps` and shell history).
//   URL:   --url, else $KILN_API_URL, else `url` of the CLI config file, else the server's kiln.yaml (api.publicUrl),
//          else http://127.0.0.1:8080 (the default api.host and api.port)
//   token: $KILN_API_TOKEN, else the file named by $KILN_API_TOKEN_FILE, else `token` of the CLI config file
// The CLI config file: $KILN_CLI_CONFIG, else $XDG_CONFIG_HOME/kiln/cli.yaml, else ~/.config/kiln/cli.yaml. Written
// 0600; like ssh with a private key, its token is not used while others may read the file.

type Env = Record<string, string | undefined>;

export interface CliConfig {
  url?: string;
  token?: string;
}

export interface ApiAccess {
  url: string;
  /** Where the URL came from, for messages. */
  urlFrom: string;
  token?: string;
  /** Why a saved token was not used, for the message when the API then asks for one. */
  tokenNote?: string;
}

export function cliConfigFile(env: Env): string {
  if (env.KILN_CLI_CONFIG) return path.resolve(env.KILN_CLI_CONFIG);
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'kiln', 'cli.yaml');
}

/** The CLI config file's content; empty when there is none. Its token is checked by `usableToken`, not here. */
export function readCliConfig(file: string): CliConfig & { mode?: number } {
  let text: string;
  let mode: number;
  try {
    mode = fs.statSync(file).mode & 0o777;
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError('CLI_CONFIG_INVALID', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new CliError('CLI_CONFIG_INVALID', `${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (data === null || data === undefined) return { mode };
  if (typeof data !== 'object' || Array.isArray(data)) throw new CliError('CLI_CONFIG_INVALID', `${file} must be a mapping with url and token`);
  const { url, token } = data as Record<string, unknown>;
  if (url !== undefined && (typeof url !== 'string' || !isHttpUrl(url))) throw new CliError('CLI_CONFIG_INVALID', `${file}: url must be an http(s) URL`);
  if (token !== undefined && (typeof token !== 'string' || token.trim() === '')) throw new CliError('CLI_CONFIG_INVALID', `${file}: token must be a string`);
  return { url, token: token?.trim(), mode };
}

/** Replace the CLI config file (temp file created 0600, renamed into place); its folder is made 0700. */
export function writeCliConfig(file: string, config: CliConfig): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const text = '# The kiln CLI\'s API access (kiln login, kiln tokens create --save). Keep it private: mode 0600.\n'
    + stringify({ url: config.url, token: config.token });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    fs.chmodSync(tmp, 0o600); // whatever the umask
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new CliError('CLI_CONFIG_INVALID', `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** The API's URL (every step of the order above but the token). */
export function resolveApiUrl(env: Env, flags: { url?: string; config?: string } = {}): { url: string; from: string } {
  const pick = (url: string, from: string) => ({ url: checkApiUrl(url, from), from });
  if (flags.url) return pick(flags.url, '--url');
  if (env.KILN_API_URL) return pick(env.KILN_API_URL, '$KILN_API_URL');
  const file = cliConfigFile(env);
  const saved = readCliConfig(file).url;
  if (saved) return pick(saved, file);
  const server = serverApiUrl(flags.config, env);
  if (server) return pick(server.url, server.from);
  return pick(`http://${DEFAULT_API.host}:${DEFAULT_API.port}`, 'the default');
}

/**
 * The URL, and the token from the first place that has one (none: reads may not need one). The CLI config file's
 * token goes only to the URL saved with it: a token is never sent to another server because $KILN_API_URL changed.
 */
export function resolveApiAccess(env: Env, flags: { url?: string; config?: string } = {}): ApiAccess {
  const { url, from } = resolveApiUrl(env, flags);
  const access = { url, urlFrom: from };
  if (env.KILN_API_TOKEN) return { ...access, token: env.KILN_API_TOKEN.trim() };
  if (env.KILN_API_TOKEN_FILE) return { ...access, token: readTokenFile(env.KILN_API_TOKEN_FILE) };
  const file = cliConfigFile(env);
  const config = readCliConfig(file);
  if (config.token === undefined) return access;
  if (config.url !== undefined && config.url.replace(/\/+$/, '') !== url) {
    return { ...access, tokenNote: `the token in ${file} is for ${config.url}, so it was not sent to ${url}` };
  }
  if (config.mode !== undefined && (config.mode & 0o077) !== 0) {
    throw new CliError('CLI_CONFIG_INSECURE', `${file} holds an API token but others may read it (mode ${config.mode.toString(8).padStart(4, '0')}); `
      + `it is not used until you run: chmod 600 ${file}`);
  }
  return { ...access, token: config.token };
}

function readTokenFile(file: string): string {
  let token: string;
  try {
    token = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new CliError('SECRET_UNREADABLE', `$KILN_API_TOKEN_FILE names ${file}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (token === '') throw new CliError('SECRET_UNREADABLE', `$KILN_API_TOKEN_FILE names ${file}, which is empty`);
  return token;
}

/** The URL without trailing slashes; USAGE when it is not http(s). */
export function checkApiUrl(url: string, from: string): string {
  if (!isHttpUrl(url)) throw new CliError('USAGE', `the API URL from ${from} is not an http(s) URL: ${url}`);
  return url.replace(/\/+$/, '');
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
