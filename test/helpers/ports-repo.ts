import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../domain/project-paths';

/**
 * A real git repository holding a ports tree, for tests to push to: starts as a copy of examples/ports (or empty),
 * and each `commit` returns the new commit id.
 */
export class PortsRepo {
  readonly dir: string;

  /** `fromExamples`: start as a copy of examples/ports, or of another examples/ folder when named (`arch`). */
  constructor({ fromExamples = true }: { fromExamples?: boolean | string } = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-ports-'));
    this.git('init', '--quiet', '--initial-branch=main');
    this.git('config', 'user.email', 'tests@kiln.invalid');
    this.git('config', 'user.name', 'Kiln Tests');
    if (fromExamples) fs.cpSync(path.join(PROJECT_ROOT, 'examples', fromExamples === true ? 'ports' : fromExamples), this.dir, { recursive: true });
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-C', this.dir, ...args], { encoding: 'utf8' }).trim();
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  write(rel: string, text: string, mode?: number): void {
    fs.mkdirSync(path.dirname(this.path(rel)), { recursive: true });
    fs.writeFileSync(this.path(rel), text, mode === undefined ? undefined : { mode });
  }

  remove(rel: string): void {
    fs.rmSync(this.path(rel), { recursive: true, force: true });
  }

  commit(message: string): string {
    this.git('add', '-A');
    this.git('commit', '--quiet', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  /** Bump a native package's version with a new changelog entry on top. */
  bumpVersion(pkg: string, version: string): void {
    const file = this.path(pkg, 'debian', 'changelog');
    const entry = `${pkg} (${version}) bookworm; urgency=medium\n\n  * Version ${version}.\n\n -- Kiln Tests <tests@kiln.invalid>  Sat, 21 Nov 2026 12:00:00 +0000\n\n`;
    fs.writeFileSync(file, entry + fs.readFileSync(file, 'utf8'));
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
