import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { docker } from './engine';

export interface ContainerLimits {
  memoryMb?: number;
  cpus?: number;
  pids?: number;
}

export interface RunContainerOptions {
  image: string;
  cmd: string[];
  env?: Record<string, string>;
  user?: string;
  workingDir?: string;
  binds?: string[];
  networkMode?: string;
  limits?: ContainerLimits;
  labels?: Record<string, string>;
  /** Receives stdout and stderr as they are written (chunks do not align with lines). */
  onOutput?: (chunk: Buffer) => void;
  /** Abort = kill and remove the container (activity cancellation, timeouts). */
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ContainerResult {
  exitCode: number;
  timedOut: boolean;
}

/**
 * Run one fresh container to completion and remove it, whatever happens: create, attach, start, wait.
 * Attaching before start means no output is lost, even of a command that exits at once.
 */
export async function runContainer(options: RunContainerOptions): Promise<ContainerResult> {
  options.signal?.throwIfAborted();
  const { limits = {} } = options;
  const container = await docker().createContainer({
    Image: options.image,
    Cmd: options.cmd,
    Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
    User: options.user,
    WorkingDir: options.workingDir,
    Labels: { 'org.kiln.managed': 'true', ...options.labels },
    Tty: false,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      Binds: options.binds,
      NetworkMode: options.networkMode,
      Memory: limits.memoryMb ? limits.memoryMb * 1024 * 1024 : undefined,
      MemorySwap: limits.memoryMb ? limits.memoryMb * 1024 * 1024 : undefined,
      NanoCpus: limits.cpus ? Math.round(limits.cpus * 1e9) : undefined,
      PidsLimit: limits.pids,
      SecurityOpt: ['no-new-privileges'],
      // What runs here needs no privilege at all (the probe); builds use Sandbox, which keeps a few for apt.
      CapDrop: ['ALL'],
      LogConfig: { Type: 'none', Config: {} },
    },
  });
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const kill = () => { void container.kill().catch(() => undefined); };
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const sink = new PassThrough();
    if (options.onOutput) sink.on('data', options.onOutput);
    else sink.resume();
    container.modem.demuxStream(stream, sink, sink);
    const ended = new Promise<void>((resolve) => stream.once('end', resolve));

    options.signal?.addEventListener('abort', kill, { once: true });
    await container.start();
    if (options.timeoutMs) {
      timer = setTimeout(() => { timedOut = true; kill(); }, options.timeoutMs);
    }
    const status = (await container.wait()) as { StatusCode: number };
    await ended;
    options.signal?.throwIfAborted();
    return { exitCode: status.StatusCode, timedOut };
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', kill);
    await removeQuietly(container);
  }
}

async function removeQuietly(container: Docker.Container): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch {
    // Already gone (e.g. the engine removed it); nothing to clean up.
  }
}
