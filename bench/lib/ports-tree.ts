import { writeFixturePackage } from '../../test/helpers/deb-fixtures';
import { PortsRepo } from '../../test/helpers/ports-repo';

// Ports trees for the orchestration benchmarks: real git repositories of real (tiny) Debian recipes; the no-op
// backend never builds them, but Kiln plans, archives and schedules them as it would any tree.

export interface TreeShape {
  packages: number;
  /** Each run of this many packages is a chain: every one build-depends on the one before. 1: none depend. */
  chain?: number;
}

export const packageName = (i: number) => `kb-${String(i).padStart(5, '0')}`;

export function makeTree(shape: TreeShape): PortsRepo {
  const repo = new PortsRepo({ fromExamples: false });
  const chain = shape.chain ?? 1;
  for (let i = 0; i < shape.packages; i++) {
    const before = i % chain === 0 ? [] : [packageName(i - 1)];
    writeFixturePackage(repo.dir, { name: packageName(i), version: '1.0', architecture: 'any', buildDepends: before });
  }
  repo.commit(`${shape.packages} packages`);
  return repo;
}
