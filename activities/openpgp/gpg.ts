import { execFile } from 'node:child_process';
import * as fs from 'node:fs';

/** gpg with its own home dir, never the user's keyring; batch mode, no prompts. Output as bytes. */
export async function gpgRaw(home: string, args: string[], input?: string | Buffer): Promise<Buffer> {
  await fs.promises.mkdir(home, { recursive: true, mode: 0o700 });
  return new Promise((resolve, reject) => {
    const child = execFile(
      'gpg', ['--homedir', home, '--batch', '--no-tty', '--quiet', ...args],
      { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`gpg ${args.filter((a) => !a.startsWith('-')).slice(0, 1).join(' ')} failed: ${stderr.toString().trim() || err.message}`));
        else resolve(stdout);
      },
    );
    // gpg may exit before reading its input (a bad option, a missing file): that is its error to report, and an
    // EPIPE on its stdin must not become an uncaught exception that ends the process.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

export async function gpg(home: string, args: string[], input?: string | Buffer): Promise<string> {
  return (await gpgRaw(home, args, input)).toString('utf8');
}

/** The primary key fingerprint in a home dir, or undefined when it holds none. */
export async function fingerprint(home: string): Promise<string | undefined> {
  if (!fs.existsSync(home)) return undefined;
  const out = await gpg(home, ['--with-colons', '--list-secret-keys']).catch(() => '');
  return /^fpr:+([0-9A-F]{40}):/m.exec(out)?.[1];
}

/** The primary key fingerprint of the first public key in a home dir; reads the keyring only (no gpg-agent). */
export async function publicFingerprint(home: string): Promise<string | undefined> {
  if (!fs.existsSync(home)) return undefined;
  const out = await gpg(home, ['--with-colons', '--list-keys']).catch(() => '');
  return /^fpr:+([0-9A-F]{40}):/m.exec(out)?.[1];
}

/** The primary key fingerprints in an exported keyring (binary or armored), without importing it. */
export async function keyringFingerprints(home: string, keyring: Buffer | string): Promise<string[]> {
  const out = await gpg(home, ['--with-colons', '--show-keys'], keyring);
  const fprs: string[] = [];
  let afterPub = false;
  for (const line of out.split('\n')) {
    if (line.startsWith('pub:')) afterPub = true;
    else if (line.startsWith('fpr:') && afterPub) {
      const fpr = /^fpr:+([0-9A-F]{40}):/.exec(line)?.[1];
      if (fpr) fprs.push(fpr);
      afterPub = false;
    }
  }
  return fprs;
}

/**
 * gpg using a secret key whose passphrase is in a file: loopback pinentry and `--passphrase-file`, so the passphrase
 * is never in argv, never prompted for. gpg-agent (autostarted in the home dir) does the secret-key work.
 */
export async function gpgWithPassphraseFile(home: string, passphraseFile: string, args: string[], input?: string | Buffer): Promise<Buffer> {
  try {
    return await gpgRaw(home, ['--pinentry-mode', 'loopback', '--passphrase-file', passphraseFile, ...args], input);
  } catch (err) {
    // gpgRaw names the call by its first non-option argument, which here is `loopback`: callers name it instead.
    throw new Error((err as Error).message.replace(/^gpg loopback failed: /, ''));
  }
}

/** Stop the gpg-agent serving a home dir, if one runs (it forgets cached passphrases). */
export async function stopAgent(home: string): Promise<void> {
  if (!fs.existsSync(home)) return;
  await new Promise<void>((resolve) => {
    execFile('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], () => resolve());
  });
}
