import * as fs from 'node:fs';
import * as path from 'node:path';
import { createToken, hashToken, readTokens, revokeToken, tokenFile } from './token-file';

/** The worker token of the build workers `npm start` runs on this machine: in the data dir, 0600. */
export function localWorkerTokenFile(dataDir: string): string {
  return path.join(dataDir, 'worker.token');
}

const NAME = 'local-builders';

/**
 * The embedded default's build workers reach the API on loopback with a worker token of their own, made on first
 * start (and again if it was revoked or its file lost). Returns the token file.
 */
export async function ensureLocalWorkerToken(dataDir: string): Promise<string> {
  const file = localWorkerTokenFile(dataDir);
  const tokens = tokenFile(dataDir);
  const stored = (await readTokens(tokens)).find((t) => t.name === NAME);
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
  if (stored && existing && stored.kind === 'worker' && hashToken(existing) === stored.sha256) return file;
  if (stored) await revokeToken(tokens, NAME);
  const { token } = await createToken(tokens, NAME, new Date(), 'worker');
  await fs.promises.mkdir(dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.promises.writeFile(tmp, `${token}\n`, { mode: 0o600 });
  await fs.promises.rename(tmp, file);
  return file;
}
