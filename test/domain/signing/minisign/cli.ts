// Runs Debian's /usr/bin/minisign for the interop tests: argument arrays only, and any password goes on stdin
// (minisign 0.11 reads it with fgets from stdin when stdin is not a tty; it has no password flag or variable).
import { spawn } from 'node:child_process';

export const MINISIGN = '/usr/bin/minisign';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runMinisign(args: readonly string[], options: { cwd: string; stdin?: string }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(MINISIGN, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // The CLI exits without reading stdin when it needs no password: that EPIPE is expected, anything else is not.
    child.stdin.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'EPIPE') reject(err); });
    // Always close stdin: a prompt with nothing to read then fails fast instead of hanging the test.
    child.stdin.end(options.stdin ?? '');
  });
}
