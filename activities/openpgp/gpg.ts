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
