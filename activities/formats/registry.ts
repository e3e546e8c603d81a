import type { FormatId } from '../../domain/formats/format';
import { debIO } from './deb/deb-io';
import type { FormatIO } from './format-io';
import { pacmanIO } from './pacman/pacman-io';

const IO: Readonly<Record<FormatId, FormatIO>> = { deb: debIO, pacman: pacmanIO };

/** The I/O half of a format, by the format's id (Debian when absent: records of before formats). */
export function formatIO(id: FormatId | undefined): FormatIO {
  return IO[id ?? 'deb'];
}
