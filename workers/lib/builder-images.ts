import { requireImage } from '../../activities/docker/engine';
import { checkSandboxSupport } from '../../activities/docker/sandbox';
import { builderImageTag } from '../../domain/builder-image';
import type { KilnConfig } from '../../domain/config';

/** The builder images a build worker of `arch` builds with, from the config (each tree of that arch: its suite and format). */
export function configuredBuilderImages(config: KilnConfig, arch: string): string[] {
  return [...new Set(config.trees.filter((t) => (t.architectures as readonly string[]).includes(arch))
    .map((t) => builderImageTag(t.distribution, arch, undefined, t.format)))];
}

/**
 * A build worker's check at its start: every builder image it needs is in the Docker engine (BUILDER_IMAGE_MISSING
 * names the first one missing, before any container is run), then each is checked for the disk cap.
 */
export async function checkBuilderImages(images: readonly string[]): Promise<void> {
  for (const image of images) await requireImage(image);
  for (const image of images) await checkSandboxSupport(image);
}
