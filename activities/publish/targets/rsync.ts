import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classifyRsyncDestination } from '../../../domain/config';
import type { MirrorLayout } from '../../formats/format-io';
import { PublishTargetError, excerpt, type TargetFailureReason } from './target-error';

// Pushes one published snapshot (a "symlink repo": pool entries are hard links or symlinks into the artifact store)
// to a mirror folder, in the order that keeps the mirror consistent for its readers at every moment:
//
//   1. everything but the indexes (Debian: dists/; pacman: the databases and the Release), nothing deleted: the old
//      indexes still find all they name;
//   2. the indexes with --delay-updates (compared by checksum): the new indexes land in hidden folders first and are
//      renamed into place together at the end, so the switch to the new indexes is as short as rsync can make it;
//   3. the whole tree with --delete-after: only now, with the new indexes live, goes what they no longer name.
//
// A failure in a pass stops before the next one, so the mirror never serves indexes naming files it does not have.

export interface RsyncOptions {
  /** One line per pass and per rsync warning. */
  log?: (line: string) => void;
  /** Activity cancellation: stops rsync (and its ssh) and throws the signal's reason. */
  signal?: AbortSignal;
  /** For the three passes together; default 60 minutes. */
  timeoutMs?: number;
  /** rsync's own I/O timeout (no data moving), in seconds; default 300. */
  ioTimeoutSeconds?: number;
  /** Which files are the indexes (sent last); default: an APT repository's (dists/). */
  layout?: MirrorLayout;
}

const APT_LAYOUT: MirrorLayout = { marker: 'dists', indexes: ['/dists/***'] };

export interface RsyncResult {
  /** Regular files written on the destination, over the three passes. */
  filesTransferred: number;
  /** Files and folders deleted from the destination by the final pass. */
  filesDeleted: number;
}

const DEFAULT_TIMEOUT_MS = 60 * 60_000;
const STDERR_LIMIT = 64 * 1024;

function commonArgs(ioTimeoutSeconds: number): string[] {
  return [
    '--recursive',
    '--times',
    // A symlink repo: send what the links point at, never the links (they would dangle on the mirror).
    '--copy-links',
    // Mirrors are read by web servers: readable by all, whatever modes the artifact store uses.
    '--perms',
    '--chmod=D0755,F0644',
    `--timeout=${ioTimeoutSeconds}`,
    // ssh never prompts (no password, no unknown host key question): it fails instead of hanging.
    // Keys, users and ports come from the ssh configuration of the user Kiln runs as.
    '--rsh=ssh -o BatchMode=yes -o ConnectTimeout=30',
    '--stats',
  ];
}

/** A destination folder as rsync's argument: a trailing `/` means "into this folder". */
function into(destination: string, sub = ''): string {
  return `${destination.replace(/\/+$/, '')}/${sub}`;
}

interface PassResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  spawnError?: NodeJS.ErrnoException;
}

/** Run rsync once with an argument array (no shell), stderr captured, stopped by `signal`. */
function runRsync(args: string[], signal: AbortSignal, log?: (line: string) => void): Promise<PassResult> {
  return new Promise((resolve) => {
    // Its own process group, so stopping it stops the ssh it started too.
    const child = spawn('rsync', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      // Messages in English, for the classification below.
      env: { ...process.env, LC_ALL: 'C' },
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout = (stdout + chunk).slice(-STDERR_LIMIT); });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_LIMIT);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') log?.(`rsync: ${line.trim()}`);
    });
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      const kill = (sig: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, sig);
        } catch {
          // Already gone.
        }
      };
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), 5000);
      killTimer.unref();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    let spawnError: NodeJS.ErrnoException | undefined;
    child.once('error', (err) => { spawnError = err; });
    child.once('close', (code) => {
      signal.removeEventListener('abort', stop);
      if (killTimer) clearTimeout(killTimer);
      if (pending.trim() !== '') log?.(`rsync: ${pending.trim()}`);
      resolve({ exitCode: code, stdout, stderr, spawnError });
    });
  });
}

/** ssh failures that no retry will fix: they arrive as rsync exit code 12 or 255 with ssh's own message. */
const PERMANENT_SSH = [
  /Permission denied/i,
  /Host key verification failed/i,
  /Could not resolve hostname .*(Name or service not known|nodename nor servname)/i,
  /Bad owner or permissions/i,
  /(rsync|command): (command )?not found/i,
  /no such identity/i,
];

/** rsync exit codes (man rsync, EXIT VALUES) → why, and whether trying again later may help. */
export function classifyRsyncExit(exitCode: number, stderr: string): { reason: TargetFailureReason; retryable: boolean } {
  switch (exitCode) {
    case 1: // syntax or usage error
    case 2: // protocol incompatibility
    case 4: // action not supported (e.g. an option the remote rsync lacks)
    case 3: // errors selecting input/output files, dirs
    case 11: // error in file I/O: cannot create the destination, disk full
    case 13: // errors with program diagnostics
    case 25: // --max-delete stopped deletions
      return { reason: 'destination', retryable: false };
    case 23: // partial transfer due to error: a dangling pool link on our side, or a permission on theirs
      return { reason: /\[sender\]|symlink has no referent/.test(stderr) ? 'source' : 'destination', retryable: false };
    case 24: // some source files vanished during the transfer
      return { reason: 'source', retryable: true };
    case 5: // error starting client-server protocol
    case 10: // error in socket I/O
    case 12: // error in rsync protocol data stream: mostly ssh could not connect or the connection broke
    case 14: // error in IPC code
    case 255: // ssh's own exit code
      if (PERMANENT_SSH.some((re) => re.test(stderr))) return { reason: 'destination', retryable: false };
      return { reason: 'network', retryable: true };
    case 30: // timeout in data send/receive
    case 35: // timeout waiting for daemon connection
      return { reason: 'timeout', retryable: true };
    case 20: // received SIGUSR1 or SIGINT
    case 21: // some error returned by waitpid()
    case 22: // error allocating core memory buffers
      return { reason: 'remote', retryable: true };
    default:
      return { reason: 'remote', retryable: false };
  }
}

function statNumber(stdout: string, label: string): number {
  const match = new RegExp(`^${label}: ([\\d,]+)`, 'm').exec(stdout);
  return match ? Number(match[1].replace(/,/g, '')) : 0;
}

function checkSource(snapshotDir: string, target: string, layout: MirrorLayout): void {
  let ok = false;
  try {
    ok = fs.statSync(snapshotDir).isDirectory() && fs.existsSync(path.join(snapshotDir, layout.marker));
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new PublishTargetError('PUBLISH_TARGET_FAILED', `${target}: ${snapshotDir} is not a published repository (no ${layout.marker})`, {
      target, reason: 'source', retryable: false,
    });
  }
}

/**
 * Mirror the published repository in `snapshotDir` to `destination` (an absolute local path, `host:path` or
 * `user@host:path` over ssh) in three passes: packages and keys, then the indexes (`layout`) switched at once, then deletions.
 * Throws PublishTargetError (PUBLISH_TARGET_FAILED / PUBLISH_TARGET_TIMEOUT, with `retryable`), or the signal's
 * reason when cancelled.
 */
export async function rsyncTarget(destination: string, snapshotDir: string, options: RsyncOptions = {}): Promise<RsyncResult> {
  const target = `rsync to ${destination}`;
  const kind = classifyRsyncDestination(destination);
  if ('problem' in kind || (kind.kind === 'local' && !path.isAbsolute(destination))) {
    const why = 'problem' in kind ? kind.problem : 'must be absolute';
    throw new PublishTargetError('PUBLISH_TARGET_FAILED', `${target}: the destination ${why}`, {
      target, reason: 'destination', retryable: false,
    });
  }
  options.signal?.throwIfAborted();
  const layout = options.layout ?? APT_LAYOUT;
  checkSource(snapshotDir, target, layout);

  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const source = path.resolve(snapshotDir);
  const common = commonArgs(options.ioTimeoutSeconds ?? 300);
  const passes: Array<{ name: string; args: string[] }> = [
    { name: 'packages and keys', args: [...common, ...layout.indexes.map((p) => `--exclude=${p}`), into(source), into(destination)] },
    // By content: a republished index can have the size and modification second of the one it replaces. Folders
    // are walked (*/) so that indexes below the top are found; nothing else is sent.
    {
      name: 'indexes',
      args: [...common, '--checksum', '--delay-updates', '--include=*/', ...layout.indexes.map((p) => `--include=${p}`), '--exclude=*', into(source), into(destination)],
    },
    { name: 'deletions', args: [...common, '--delay-updates', '--delete-after', into(source), into(destination)] },
  ];

  const result: RsyncResult = { filesTransferred: 0, filesDeleted: 0 };
  for (const [n, pass] of passes.entries()) {
    const label = `pass ${n + 1}/${passes.length} (${pass.name})`;
    const started = Date.now();
    options.log?.(`${target}: ${label}`);
    const run = await runRsync(pass.args, signal, options.log);
    options.signal?.throwIfAborted();
    if (deadline.aborted) {
      throw new PublishTargetError('PUBLISH_TARGET_TIMEOUT', `${target}: not done after ${Math.round(timeoutMs / 1000)} s (stopped in ${label})`, {
        target, reason: 'timeout', retryable: true, output: excerpt(run.stderr, 2000, 'end'),
      });
    }
    if (run.spawnError) {
      const missing = run.spawnError.code === 'ENOENT';
      throw new PublishTargetError('PUBLISH_TARGET_FAILED', `${target}: ${missing ? 'rsync is not installed on this machine' : `cannot start rsync (${run.spawnError.message})`}`, {
        target, reason: 'source', retryable: !missing,
      });
    }
    if (run.exitCode !== 0) {
      const exitCode = run.exitCode ?? -1;
      const { reason, retryable } = classifyRsyncExit(exitCode, run.stderr);
      const output = excerpt(run.stderr, 2000, 'end');
      throw new PublishTargetError('PUBLISH_TARGET_FAILED', `${target}: ${label} failed (rsync exit code ${exitCode}): ${output || 'no message'}`, {
        target, reason, retryable, exitCode, output,
      });
    }
    result.filesTransferred += statNumber(run.stdout, 'Number of regular files transferred');
    result.filesDeleted += statNumber(run.stdout, 'Number of deleted files');
    options.log?.(`${target}: ${label} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return result;
}
