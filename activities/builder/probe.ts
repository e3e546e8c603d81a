import { builderImageTag } from '../../domain/builder-image';
import type { FormatId } from '../../domain/formats/format';
import { formatOf } from '../../domain/formats/registry';
import { requireImage } from '../docker/engine';
import { runContainer } from '../docker/run-container';
import { inArchPersonality } from './personality';

export interface ProbeInput {
  suite: string;
  arch: string;
  /** The tree's format (its builder image); absent: Debian. */
  format?: FormatId;
}

export interface ProbeResult {
  image: string;
  exitCode: number;
  output: string;
}

const MAX_OUTPUT = 16 * 1024; // payloads stay small: a probe answer, not a log

/**
 * Run the builder image of an arch once and report what it is: the health check of a build worker, and the
 * end-to-end proof that workflow → build queue → Docker works.
 */
export async function probeBuilder(input: ProbeInput, signal?: AbortSignal): Promise<ProbeResult> {
  const image = builderImageTag(input.suite, input.arch, undefined, input.format);
  const tool = formatOf(input.format).buildTool;
  await requireImage(image);
  const chunks: Buffer[] = [];
  let size = 0;
  const result = await runContainer({
    image,
    user: 'builder',
    cmd: inArchPersonality(input.arch, [
      'sh', '-c',
      `echo "arch=$(dpkg --print-architecture) user=$(id -un) uname=$(uname -m)"; ${tool} --version | head -n 1`,
    ]),
    networkMode: 'none',
    limits: { memoryMb: 256, pids: 64 },
    timeoutMs: 60_000,
    signal,
    onOutput: (chunk) => {
      if (size < MAX_OUTPUT) chunks.push(chunk);
      size += chunk.length;
    },
  });
  return { image, exitCode: result.exitCode, output: Buffer.concat(chunks).toString('utf8').slice(0, MAX_OUTPUT) };
}
