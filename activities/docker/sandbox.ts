import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { KilnError } from '../../domain/errors';
import { SETUP_COMMAND } from '../../domain/project-paths';
import { docker } from './engine';

/** Capabilities root keeps in the dependency phase: what dpkg and apt need to install packages, nothing more. */
export const DEPENDENCY_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETUID', 'SETGID', 'KILL'] as const;

export interface SandboxOptions {
  image: string;
  binds: string[];
  /** The network of the first phase, or 'none'. */
  network: string;
  memoryMb: number;
  cpus: number;
  pids: number;
  /** Cap on what the container writes to the host's disk (the engine's btrfs quota groups, see setup). */
  diskMb: number;
  labels: Record<string, string>;
}

/**
 * One build's container: created idle (docker-init reaping, no own log), then phases run in it with `exec`, so the
 * dependency phase and the build step share a file system but not privileges or network. All capabilities are dropped
 * but the few package installation needs; no-new-privileges means no setuid binary can ever raise a phase above the
 * user it was started as; the engine keeps no log copy.
 */
export class Sandbox {
  private constructor(readonly container: Docker.Container) {}

  static async create(options: SandboxOptions): Promise<Sandbox> {
    // The engine's btrfs quota counts what the container references, its image included: add the image's size so
    // that diskMb is what the build itself may write.
    const imageBytes = ((await docker().getImage(options.image).inspect()) as { Size?: number }).Size ?? 0;
    const container = await docker().createContainer({
      Image: options.image,
      Cmd: ['sleep', 'infinity'],
      Labels: { 'org.kiln.managed': 'true', ...options.labels },
      Tty: false,
      HostConfig: {
        Binds: options.binds,
        NetworkMode: options.network,
        Init: true,
        CapDrop: ['ALL'],
        CapAdd: [...DEPENDENCY_CAPABILITIES],
        SecurityOpt: ['no-new-privileges'],
        Memory: options.memoryMb * 1024 * 1024,
        MemorySwap: options.memoryMb * 1024 * 1024,
        NanoCpus: Math.round(options.cpus * 1e9),
        PidsLimit: options.pids,
        StorageOpt: { size: `${options.diskMb + Math.ceil(imageBytes / 1048576)}M` },
        LogConfig: { Type: 'none', Config: {} },
        Ulimits: [{ Name: 'core', Soft: 0, Hard: 0 }],
      },
    });
    const sandbox = new Sandbox(container);
    try {
      await container.start();
    } catch (err) {
      await sandbox.remove();
      throw err;
    }
    return sandbox;
  }

  /** Run one phase to its end; output as it comes (chunks do not align with lines). Killed container: 137. */
  async exec(cmd: string[], options: { user: string; env?: Record<string, string>; onOutput: (chunk: Buffer) => void }): Promise<number> {
    const exec = await this.container.exec({
      Cmd: cmd,
      User: options.user,
      Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: false,
      Tty: false,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const sink = new PassThrough();
    sink.on('data', options.onOutput);
    this.container.modem.demuxStream(stream, sink, sink);
    let poll: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
      // The attach stream's end can go missing (the engine closes the hijacked socket without a FIN the client sees):
      // the engine's own word that the process ended is the fallback, with a moment for the last output to arrive.
      poll = setInterval(() => {
        exec.inspect().then((state) => {
          if (!state.Running) { clearInterval(poll); setTimeout(resolve, 2_000); }
        }, () => undefined);
      }, 5_000);
    });
    clearInterval(poll);
    const info = await exec.inspect();
    return typeof info.ExitCode === 'number' ? info.ExitCode : 137;
  }

  /**
   * End the dependency phase: kill every process it left behind (a maintainer script's daemon would keep root and
   * the phase's capabilities into the build step, and could change what the build produces). Spared: docker-init
   * (pid 1), the idle main process (the lowest other pid: it started before any phase) and the killer itself.
   * Returns how many it killed; throws when some would not die (nothing should survive SIGKILL from root).
   */
  async killStrays(): Promise<number> {
    const script = [
      'self=$$; main=',
      'for p in /proc/[0-9]*; do p=${p#/proc/}; [ "$p" = 1 ] && continue; if [ -z "$main" ] || [ "$p" -lt "$main" ]; then main=$p; fi; done',
      'killed=0; round=0',
      'while :; do',
      '  strays=',
      '  for p in /proc/[0-9]*; do',
      '    p=${p#/proc/}',
      '    case " 1 $main $self " in *" $p "*) continue ;; esac',
      '    { read -r stat </proc/$p/stat; } 2>/dev/null || continue',
      '    state=${stat##*) }; state=${state%% *}',
      '    [ "$state" = Z ] || strays="$strays $p"',
      '  done',
      '  [ -z "$strays" ] && { echo "killed=$killed"; exit 0; }',
      '  set -- $strays; [ "$round" = 0 ] && killed=$#',
      '  kill -KILL "$@" 2>/dev/null',
      '  round=$((round + 1)); [ "$round" -ge 100 ] && { echo "left=$#"; exit 1; }',
      '  sleep 0.05',
      'done',
    ].join('\n');
    let output = '';
    const code = await this.exec(['sh', '-c', script], { user: 'root', onOutput: (chunk) => { output += chunk.toString(); } });
    const killed = /killed=(\d+)/.exec(output);
    if (code !== 0 || !killed) throw new KilnError('BUILD_SANDBOX_STRAYS', `processes left by the dependency phase would not die (${output.trim().slice(0, 200) || `exit ${code}`})`);
    return Number(killed[1]);
  }

  /** Leave every network: from here on, only loopback exists inside. */
  async isolate(): Promise<string[]> {
    const info = await this.container.inspect();
    const networks = Object.keys(info.NetworkSettings?.Networks ?? {});
    for (const name of networks) await docker().getNetwork(name).disconnect({ Container: this.container.id, Force: true });
    // resolv.conf still names the engine's DNS of the network just left (127.0.0.11), now dead: every name lookup
    // in the build (hostname -f, ...) would wait 10-20 s for it. A nameserver on loopback, where none listens,
    // fails at once, as a build without network should.
    await this.exec(['sh', '-c', 'printf "nameserver 127.0.0.1\\noptions timeout:1 attempts:1\\n" >/etc/resolv.conf'], { user: 'root', onOutput: () => undefined });
    return networks;
  }

  /** A tar stream of a folder inside: the engine makes it, the host parses it without extracting anything blindly. */
  async archive(folder: string): Promise<Readable> {
    return (await this.container.getArchive({ path: folder })) as unknown as Readable;
  }

  /** Bytes the container wrote to its own layer (what counts against diskMb). */
  async writtenBytes(): Promise<number> {
    // dockerode passes the options on as the query: `size=true` makes the engine count the layer.
    const inspect = this.container.inspect.bind(this.container) as unknown as (options: object) => Promise<{ SizeRw?: number }>;
    const info = await inspect({ size: true });
    return info.SizeRw ?? 0;
  }

  kill(): void {
    void this.container.kill().catch(() => undefined);
  }

  async remove(): Promise<void> {
    try {
      await this.container.remove({ force: true, v: true });
    } catch {
      // Already gone (e.g. the engine removed it).
    }
  }
}

/**
 * At build-worker start: does the engine cap a container's disk? A worker that could not is refused, rather than
 * running every build without the quota.
 */
export async function checkSandboxSupport(image: string): Promise<void> {
  let container: Docker.Container | undefined;
  try {
    const imageBytes = ((await docker().getImage(image).inspect()) as { Size?: number }).Size ?? 0;
    container = await docker().createContainer({
      Image: image, Cmd: ['true'], Labels: { 'org.kiln.managed': 'true' },
      HostConfig: { NetworkMode: 'none', StorageOpt: { size: `${64 + Math.ceil(imageBytes / 1048576)}M` }, LogConfig: { Type: 'none', Config: {} } },
    });
  } catch (err) {
    if (!isQuotaUnsupported(err)) throw err;
    const info = await docker().info() as { DockerRootDir?: string; Driver?: string };
    throw new KilnError('BUILD_SANDBOX_UNSUPPORTED', `the Docker engine (${info.Driver} on ${info.DockerRootDir}) cannot cap a build's disk: ` +
      `${String((err as Error).message)}; run \`${SETUP_COMMAND}\` (btrfs data root) or see docs/SECURITY.md`);
  } finally {
    await container?.remove({ force: true }).catch(() => undefined);
  }
}

/** The engine's refusal of StorageOpt size on a data root that cannot do quotas (overlay2 on ext4, ...). */
export function isQuotaUnsupported(err: unknown): boolean {
  return /storage-opt|pquota|quota/i.test(String((err as Error)?.message ?? err));
}
