import { inArchPersonality } from '../../activities/builder/personality';
import { requireImage } from '../../activities/docker/engine';
import { runContainer } from '../../activities/docker/run-container';
import { DEPENDENCY_CAPABILITIES } from '../../activities/docker/sandbox';
import { builderImageTag } from '../../domain/builder-image';

// A real apt client for integration tests: a fresh container from Kiln's builder image (bookworm/<arch>) on the host's
// network, so `http://127.0.0.1:<port>` is a server of the test process. The image's own Debian sources are moved
// aside: apt sees Kiln's repository and nothing else (libc6 and the like are already in the image).

export type AptArch = 'amd64' | 'i386' | 'arm64';

export const APT_TEST_KEYRING = '/usr/share/keyrings/kiln-test.gpg';

export interface AptClientOptions {
  arch: AptArch;
  /** One sources.list line, e.g. `deb [signed-by=/usr/share/keyrings/kiln-test.gpg] http://127.0.0.1:8080/repos/t/main bookworm main`. */
  sourcesLine: string;
  /** The repository's public key (binary OpenPGP, `gpg --export`), written to APT_TEST_KEYRING. */
  keyring: Buffer;
  /** Shell commands run after apt, in order (`set -e`: the first failing one ends the run with its exit code). */
  extraCommands?: string[];
  suite?: string;
  timeoutMs?: number;
}

export interface AptInstallOptions extends AptClientOptions {
  packages: string[];
}

export interface AptResult {
  /** Of the first step that failed, or 0. */
  exitCode: number;
  timedOut: boolean;
  /** stdout and stderr interleaved; each step starts with a `==> <step>` line. */
  output: string;
}

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9]+)?(=[A-Za-z0-9.+~:-]+)?$/;

/** `apt-get update` then `apt-get install -y <packages>`, then the extra commands. */
export function aptInstall(options: AptInstallOptions): Promise<AptResult> {
  if (options.packages.length === 0) throw new Error('aptInstall needs at least one package');
  for (const name of options.packages) {
    if (!PACKAGE_NAME.test(name)) throw new Error(`not a package name: ${JSON.stringify(name)}`);
  }
  return runApt(options, options.packages);
}

/**
 * `apt-get update` only (then the extra commands): for tests that tampering makes apt refuse. apt runs with
 * `--error-on=any`, so a repository it ignores (bad signature, hash-sum mismatch, unknown key) is a non-zero exit.
 */
export function aptUpdate(options: AptClientOptions): Promise<AptResult> {
  return runApt(options, []);
}

/** apt's own words for "this repository was tampered with or is not trusted", for tests' assertions. */
export const APT_REFUSAL = /Hash Sum mismatch|BADSIG|NO_PUBKEY|EXPKEYSIG|not signed|signature.*(invalid|could not be verified)|is not valid|File has unexpected size/i;

// Everything the container gets comes through its environment (base64 where bytes may be binary), never a host argv.
const SCRIPT = String.raw`set -eu
step() { printf '==> %s\n' "$*"; }
step "setup: keyring and sources"
mkdir -p /usr/share/keyrings /etc/apt/sources.disabled
printf '%s' "$KILN_KEYRING_B64" | base64 -d > ${APT_TEST_KEYRING}
if [ -e /etc/apt/sources.list ]; then mv /etc/apt/sources.list /etc/apt/sources.disabled/; fi
find /etc/apt/sources.list.d -mindepth 1 -maxdepth 1 -exec mv -t /etc/apt/sources.disabled/ {} +
printf '%s\n' "$KILN_SOURCES_LINE" > /etc/apt/sources.list.d/kiln.list
cat /etc/apt/sources.list.d/kiln.list
step "apt-get update"
apt-get update --error-on=any -o Acquire::Retries=0 -o Acquire::http::Timeout=20
if [ -n "$KILN_PACKAGES" ]; then
  step "apt-get install -y $KILN_PACKAGES"
  apt-get install -y --no-install-recommends $KILN_PACKAGES
fi
printf '%s' "$KILN_EXTRA_B64" | base64 -d > /tmp/kiln-extra.sh
if [ -s /tmp/kiln-extra.sh ]; then
  step "extra commands"
  . /tmp/kiln-extra.sh
fi
step "done"
`;

async function runApt(options: AptClientOptions, packages: string[]): Promise<AptResult> {
  if (/[\r\n]/.test(options.sourcesLine)) throw new Error('sourcesLine must be one line');
  const image = builderImageTag(options.suite ?? 'bookworm', options.arch);
  await requireImage(image);
  const chunks: Buffer[] = [];
  const extra = (options.extraCommands ?? []).map((cmd) => `step ${shellQuote(cmd)}\n${cmd}\n`).join('');
  const result = await runContainer({
    image,
    cmd: inArchPersonality(options.arch, ['bash', '-c', SCRIPT]),
    env: {
      DEBIAN_FRONTEND: 'noninteractive',
      KILN_KEYRING_B64: options.keyring.toString('base64'),
      KILN_SOURCES_LINE: options.sourcesLine,
      KILN_PACKAGES: packages.join(' '),
      KILN_EXTRA_B64: Buffer.from(extra).toString('base64'),
    },
    networkMode: 'host',
    capabilities: DEPENDENCY_CAPABILITIES,
    labels: { 'org.kiln.purpose': 'apt-client-test' },
    limits: { memoryMb: 1024, cpus: 1, pids: 512 },
    timeoutMs: options.timeoutMs ?? 120_000,
    onOutput: (chunk) => chunks.push(chunk),
  });
  return { exitCode: result.exitCode, timedOut: result.timedOut, output: Buffer.concat(chunks).toString('utf8') };
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
