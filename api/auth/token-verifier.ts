import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { hashToken, kindOf, parseTokens, TOKEN_PATTERN, type StoredToken, type TokenKind } from './token-file';

/** Who a valid token belongs to; never the token. */
export interface TokenIdentity {
  name: string;
  kind: TokenKind;
}

export interface TokenVerifier {
  /**
   * The identity of a token of that kind (default: an operator's), or undefined when no stored token of the kind
   * matches: a worker token is no operator token, and the other way round.
   */
  verify(token: string, kind?: TokenKind): Promise<TokenIdentity | undefined>;
}

/**
 * Checks tokens against the token file, re-read whenever it changes (a `kiln tokens` command renames a new file into
 * place, so its inode, size or mtime differ). Compares SHA-256 digests in constant time, against every stored token.
 */
export class FileTokenVerifier implements TokenVerifier {
  private loaded?: { stamp: string; tokens: Array<StoredToken & { digest: Buffer }> };
  private loading?: Promise<Array<StoredToken & { digest: Buffer }>>;

  constructor(readonly file: string) {}

  async verify(token: string, kind: TokenKind = 'operator'): Promise<TokenIdentity | undefined> {
    const tokens = await this.tokens();
    const digest = Buffer.from(hashToken(token), 'hex');
    let found: StoredToken | undefined;
    for (const t of tokens) {
      // No early exit: the time taken does not say which (or whether a) token matched.
      if (crypto.timingSafeEqual(digest, t.digest) && !found) found = t;
    }
    // The format check comes after the comparisons, so a malformed token takes as long as a wrong one.
    return found && TOKEN_PATTERN.test(token) && kindOf(found) === kind ? { name: found.name, kind } : undefined;
  }

  private async tokens(): Promise<Array<StoredToken & { digest: Buffer }>> {
    const stamp = await this.stamp();
    if (this.loaded?.stamp === stamp) return this.loaded.tokens;
    this.loading ??= this.load(stamp).finally(() => { this.loading = undefined; });
    return this.loading;
  }

  private async load(stamp: string): Promise<Array<StoredToken & { digest: Buffer }>> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      text = '{"tokens": []}';
    }
    const tokens = parseTokens(text, this.file).map((t) => ({ ...t, digest: Buffer.from(t.sha256, 'hex') }));
    this.loaded = { stamp, tokens };
    return tokens;
  }

  private async stamp(): Promise<string> {
    try {
      const s = await fs.promises.stat(this.file, { bigint: true });
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      throw err;
    }
  }
}
