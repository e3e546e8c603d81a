import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The real pacman client of this machine (Debian's pacman-package-manager), installing into a throwaway root: its
 * own keyring trusting only the repository's key (added and locally signed, as a user does), and a repository
 * section that requires signed databases.
 */
export class PacmanClient {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-pacman-'));
  readonly root = path.join(this.dir, 'root');
  private readonly gpgdir = path.join(this.dir, 'gnupg');
  private readonly conf = path.join(this.dir, 'pacman.conf');

  constructor(private readonly repo: { tree: string; url: string }) {
    fs.mkdirSync(path.join(this.root, 'var/lib/pacman'), { recursive: true });
    fs.mkdirSync(path.join(this.dir, 'cache'));
    fs.writeFileSync(this.conf, [
      '[options]',
      'Architecture = x86_64',
      `CacheDir = ${path.join(this.dir, 'cache')}`,
      'SigLevel = Required DatabaseOptional',
      '',
      `[${repo.tree}]`,
      'SigLevel = PackageOptional DatabaseRequired',
      `Server = ${repo.url}/$arch`,
      '',
    ].join('\n'));
  }

  /** `pacman-key --init`, `--add` the key file and `--lsign-key` its fingerprint. */
  trust(keyring: Buffer, fingerprint: string): void {
    const keyFile = path.join(this.dir, 'key.gpg');
    fs.writeFileSync(keyFile, keyring);
    for (const args of [['--init'], ['--add', keyFile], ['--lsign-key', fingerprint]]) {
      const r = spawnSync('pacman-key', ['--gpgdir', this.gpgdir, ...args], { encoding: 'utf8', timeout: 120_000 });
      if (r.status !== 0) throw new Error(`pacman-key ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
    }
  }

  /**
   * Run pacman against the throwaway root; its exit status and output. Asynchronous: the repository may be served by
   * this very process, whose event loop must keep answering while pacman downloads.
   */
  pacman(...args: string[]): Promise<{ status: number | null; output: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn('pacman', [
        '--root', this.root, '--dbpath', path.join(this.root, 'var/lib/pacman'), '--gpgdir', this.gpgdir, '--config', this.conf,
        '--logfile', path.join(this.dir, 'pacman.log'), '--noconfirm', ...args,
      ], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => { output += d.toString('utf8'); });
      child.stderr.on('data', (d: Buffer) => { output += d.toString('utf8'); });
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('error', reject);
      child.on('close', (status) => { clearTimeout(timer); resolve({ status, output }); });
    });
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
