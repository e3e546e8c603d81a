// A minimal, reproducible tar writer for the files Kiln makes itself (repository databases): POSIX ustar headers,
// fixed owner, group and time, a pax `path` record only for a name too long for ustar. Same input, same bytes.

const BLOCK = 512;

export interface TarInput {
  /** A folder's name ends in `/`. */
  path: string;
  /** Absent for a folder. */
  data?: Buffer;
}

export interface TarOptions {
  /** Seconds since the epoch, for every entry. */
  mtime: number;
}

export function writeTar(entries: TarInput[], options: TarOptions): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const isDir = entry.path.endsWith('/');
    if (isDir !== (entry.data === undefined)) throw new Error(`tar entry ${entry.path}: a folder (ending in /) has no data, a file has`);
    const data = entry.data ?? Buffer.alloc(0);
    const split = splitName(entry.path);
    if (!split) {
      // `<length> path=<name>\n`, the length counting itself.
      const body = `path=${entry.path}\n`;
      let length = Buffer.byteLength(body) + 2;
      while (String(length).length + 1 + Buffer.byteLength(body) !== length) length++;
      const record = Buffer.from(`${length} ${body}`);
      blocks.push(header({ name: 'PaxHeader', size: record.length, type: 'x', mode: 0o644, mtime: options.mtime }), pad(record));
    }
    const [prefix, name] = split ?? ['', truncateUtf8(entry.path, 100)];
    blocks.push(header({ name, prefix, size: data.length, type: isDir ? '5' : '0', mode: isDir ? 0o755 : 0o644, mtime: options.mtime }));
    if (data.length) blocks.push(pad(data));
  }
  blocks.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(blocks);
}

/** ustar: name ≤ 100 bytes, or prefix ≤ 155 bytes + `/` + name ≤ 100 bytes. */
function splitName(path: string): [string, string] | undefined {
  if (Buffer.byteLength(path) <= 100) return ['', path];
  const body = path.endsWith('/') ? path.slice(0, -1) : path;
  for (let i = body.lastIndexOf('/'); i > 0; i = body.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return [prefix, name];
  }
  return undefined;
}

function truncateUtf8(s: string, bytes: number): string {
  let out = s;
  while (Buffer.byteLength(out) > bytes) out = out.slice(0, -1);
  return out;
}

function header(h: { name: string; prefix?: string; size: number; type: string; mode: number; mtime: number }): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, h.mtime);
  b.write(h.type, 156, 1, 'latin1');
  b.write('ustar\u000000', 257, 8, 'latin1');
  b.write('root', 265, 32, 'latin1');
  b.write('root', 297, 32, 'latin1');
  if (h.prefix) b.write(h.prefix, 345, 155, 'utf8');
  // The checksum is computed with its own field as spaces.
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return b;
}

function octal(b: Buffer, at: number, width: number, value: number): void {
  const text = value.toString(8);
  if (text.length > width - 1) throw new Error(`tar: ${value} does not fit in ${width - 1} octal digits`);
  b.write(`${text.padStart(width - 1, '0')}\u0000`, at, width, 'latin1');
}

function pad(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest ? Buffer.concat([data, Buffer.alloc(BLOCK - rest)]) : data;
}
