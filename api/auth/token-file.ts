import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KilnError } from '../../domain/errors';

// API tokens on disk: `<dataDir>/api-tokens.json` (0600) holds each token's name, kind, creation time and SHA-256,
// never the token itself. `kiln tokens create|list|revoke` write it; the API reads it (token-verifier.ts).
// Two kinds: operators' tokens (the API's actions and reads, the web UI) and build workers' (the blob exchange
// only). One never works where the other is asked for.

export const TOKEN_FILE_NAME = 'api-tokens.json';
/** What a token looks like: a prefix that secret scanners and people recognise, then 32 random bytes. */
export const TOKEN_PATTERN = /^kiln_[A-Za-z0-9_-]{43}$/;
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** `operator`: people and CI acting on pushes; `worker`: a build worker exchanging blobs. */
export type TokenKind = 'operator' | 'worker';
export const TOKEN_KINDS: readonly TokenKind[] = ['operator', 'worker'];

export interface StoredToken {
  name: string;
  /** Absent in files written before worker tokens: an operator's. */
  kind?: TokenKind;
  /** Hex SHA-256 of the token. */
  sha256: string;
  createdAt: string;
}

interface TokenFileContent {
  version: 1;
  tokens: StoredToken[];
}

export function tokenFile(dataDir: string): string {
  return path.join(dataDir, TOKEN_FILE_NAME);
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh token: `kiln_` and 32 random bytes, base64url. */
export function newToken(): string {
  return `kiln_${crypto.randomBytes(32).toString('base64url')}`;
}

/** The tokens of the file, oldest first; none when it does not exist; TOKEN_FILE_INVALID when it is not ours. */
export async function readTokens(file: string): Promise<StoredToken[]> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return parseTokens(text, file);
}

export function parseTokens(text: string, file: string): StoredToken[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new KilnError('TOKEN_FILE_INVALID', `${file} is not JSON`);
  }
  const tokens = (data as Partial<TokenFileContent> | null)?.tokens;
  if (!Array.isArray(tokens)) throw new KilnError('TOKEN_FILE_INVALID', `${file} has no "tokens" list`);
  tokens.forEach((t: Partial<StoredToken>, i) => {
    if (typeof t?.name !== 'string' || typeof t.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(t.sha256) || typeof t.createdAt !== 'string') {
      throw new KilnError('TOKEN_FILE_INVALID', `${file}: token ${i + 1} needs a name, a hex sha256 and createdAt`);
    }
    if (t.kind !== undefined && !TOKEN_KINDS.includes(t.kind)) {
      throw new KilnError('TOKEN_FILE_INVALID', `${file}: token ${i + 1} has kind "${String(t.kind)}" (operator or worker)`);
    }
  });
  return tokens as StoredToken[];
}

export function kindOf(token: StoredToken): TokenKind {
  return token.kind ?? 'operator';
}

/** Make a token called `name`: returns the token (shown once, never stored) and what was stored. */
export async function createToken(file: string, name: string, now = new Date(), kind: TokenKind = 'operator'): Promise<{ token: string; stored: StoredToken }> {
  if (!TOKEN_NAME_PATTERN.test(name)) {
    throw new KilnError('REQUEST_INVALID', `a token name is 1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit; got "${name}"`);
  }
  return withTokenFileLock(file, async () => {
    const tokens = await readTokens(file);
    if (tokens.some((t) => t.name === name)) throw new KilnError('TOKEN_EXISTS', `a token named "${name}" exists already (revoke it first)`);
    const token = newToken();
    const stored: StoredToken = { name, ...(kind === 'worker' ? { kind } : {}), sha256: hashToken(token), createdAt: now.toISOString() };
    await writeTokens(file, [...tokens, stored]);
    return { token, stored };
  });
}

export async function revokeToken(file: string, name: string): Promise<StoredToken> {
  return withTokenFileLock(file, async () => {
    const tokens = await readTokens(file);
    const revoked = tokens.find((t) => t.name === name);
    if (!revoked) {
      throw new KilnError('TOKEN_UNKNOWN', `no token named "${name}" (tokens: ${tokens.map((t) => t.name).join(', ') || 'none'})`);
    }
    await writeTokens(file, tokens.filter((t) => t !== revoked));
    return revoked;
  });
}

/**
 * Read-modify-write under `<file>.lock` (created exclusively, holding the owner's pid): two `kiln tokens create` at
 * once would otherwise both read the old list and one token would be lost. A lock whose process is gone is taken over.
 */
async function withTokenFileLock<T>(file: string, change: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const lock = `${file}.lock`;
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  const id = `${process.pid} ${crypto.randomBytes(6).toString('hex')}`;
  for (;;) {
    try {
      await fs.promises.writeFile(lock, id, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number((await fs.promises.readFile(lock, 'utf8').catch(() => '')).split(' ')[0]);
      if (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) await fs.promises.rm(lock, { force: true });
      else if (Date.now() > deadline) throw new KilnError('TOKEN_FILE_INVALID', `${lock} is held by process ${holder || 'unknown'}; remove it if no kiln tokens command runs`);
      else await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
  }
  try {
    return await change();
  } finally {
    if ((await fs.promises.readFile(lock, 'utf8').catch(() => '')) === id) await fs.promises.rm(lock, { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Temp file created 0600 in the same folder, fsync, rename: readers see the old list or the new one. */
async function writeTokens(file: string, tokens: StoredToken[]): Promise<void> {
  const content: TokenFileContent = { version: 1, tokens };
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.promises.open(tmp, 'wx', 0o600);
  try {
    await handle.chmod(0o600); // whatever the umask
    await handle.writeFile(JSON.stringify(content, null, 2) + '\n');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await fs.promises.rename(tmp, file);
}
