import { debFormat } from './deb/format';
import type { FormatId, PackageFormat } from './format';
import { pacmanFormat } from './pacman/format';

// Every format Kiln knows, by the name a tree's `format:` gives. A third format adds itself here (docs/ARCHITECTURE.md).
const FORMATS: Readonly<Record<FormatId, PackageFormat>> = { deb: debFormat, pacman: pacmanFormat };

export function formatOf(id: FormatId | undefined): PackageFormat {
  return FORMATS[id ?? 'deb'];
}
