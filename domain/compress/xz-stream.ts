import { crc32 } from 'node:zlib';

// Splicing xz streams: the blocks of several single-stream `.xz` files joined into one stream with a new index.
// apt's xz reader decodes only the first of concatenated streams, but any stream may hold many blocks, each
// compressed on its own: so a large index compressed chunk by chunk can be rebuilt from cached chunks, recompressing
// only the chunks that changed. Format: https://tukaani.org/xz/xz-file-format.txt (sections 2.1, 3, 4).

const MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const FOOTER_MAGIC = Buffer.from([0x59, 0x5a]);

export class XzFormatError extends Error {
  readonly code = 'XZ_STREAM_INVALID';
}

/** One stream's blocks, as bytes, with the index records that describe them. */
export interface XzBlocks {
  /** The stream flags (check type): every spliced stream must have the same. */
  flags: Buffer;
  /** The blocks, each padded to four bytes, back to back. */
  data: Buffer;
  records: Array<{ unpaddedSize: number; uncompressedSize: number }>;
}

/** The blocks of a complete single-stream `.xz` file (what `xz --compress` writes), checked against its index. */
export function xzBlocks(file: Buffer): XzBlocks {
  if (file.length < 32 || !file.subarray(0, 6).equals(MAGIC)) throw new XzFormatError('not an xz stream');
  const flags = file.subarray(6, 8);
  if (file.readUInt32LE(8) !== crc32(flags)) throw new XzFormatError('xz stream header CRC mismatch');
  const footer = file.subarray(file.length - 12);
  if (!footer.subarray(10, 12).equals(FOOTER_MAGIC)) throw new XzFormatError('xz stream footer missing (several streams, or padding?)');
  if (!footer.subarray(8, 10).equals(flags)) throw new XzFormatError('xz stream footer flags differ from the header');
  if (footer.readUInt32LE(0) !== crc32(footer.subarray(4, 10))) throw new XzFormatError('xz stream footer CRC mismatch');
  const indexSize = (footer.readUInt32LE(4) + 1) * 4;
  const indexStart = file.length - 12 - indexSize;
  if (indexStart < 12) throw new XzFormatError('xz index size out of range');
  const index = file.subarray(indexStart, indexStart + indexSize);
  if (index[0] !== 0x00) throw new XzFormatError('xz index indicator missing');
  if (index.readUInt32LE(indexSize - 4) !== crc32(index.subarray(0, indexSize - 4))) throw new XzFormatError('xz index CRC mismatch');
  let at = 1;
  const read = () => { const [value, next] = readVarint(index, at); at = next; return value; };
  const count = read();
  const records: XzBlocks['records'] = [];
  let blockBytes = 0;
  for (let i = 0; i < count; i++) {
    const unpaddedSize = read();
    const uncompressedSize = read();
    records.push({ unpaddedSize, uncompressedSize });
    blockBytes += pad4(unpaddedSize);
  }
  if (pad4(at) + 4 !== indexSize) throw new XzFormatError('xz index has trailing bytes');
  if (12 + blockBytes !== indexStart) throw new XzFormatError('xz blocks do not fill the stream up to its index');
  return { flags: Buffer.from(flags), data: file.subarray(12, indexStart), records };
}

/** One xz stream holding the given blocks in order: decompresses to the concatenation of their contents. */
export function spliceXz(parts: readonly XzBlocks[]): Buffer {
  if (parts.length === 0) throw new XzFormatError('no blocks to splice');
  const flags = parts[0].flags;
  if (parts.some((p) => !p.flags.equals(flags))) throw new XzFormatError('xz blocks with different check types cannot share a stream');
  const header = Buffer.concat([MAGIC, flags, u32(crc32(flags))]);
  const records = parts.flatMap((p) => p.records);
  const fields: number[] = [0x00, ...varint(records.length)];
  for (const r of records) fields.push(...varint(r.unpaddedSize), ...varint(r.uncompressedSize));
  while (fields.length % 4) fields.push(0);
  const indexBody = Buffer.from(fields);
  const index = Buffer.concat([indexBody, u32(crc32(indexBody))]);
  const backward = Buffer.concat([u32(index.length / 4 - 1), flags]);
  const footer = Buffer.concat([u32(crc32(backward)), backward, FOOTER_MAGIC]);
  return Buffer.concat([header, ...parts.map((p) => p.data), index, footer]);
}

const pad4 = (n: number) => (n + 3) & ~3;

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) { out.push((v % 0x80) | 0x80); v = Math.floor(v / 0x80); }
  out.push(v);
  return out;
}

function readVarint(buf: Buffer, start: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 9; i++) {
    if (start + i >= buf.length) throw new XzFormatError('xz index ends inside a number');
    const byte = buf[start + i];
    value += (byte & 0x7f) * scale;
    if (!(byte & 0x80)) {
      if (byte === 0 && i > 0) throw new XzFormatError('xz index number not in its shortest form');
      return [value, start + i + 1];
    }
    scale *= 0x80;
  }
  throw new XzFormatError('xz index number longer than nine bytes');
}
