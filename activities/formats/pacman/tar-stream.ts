// A small reader of tar streams (ustar, pax extended headers, GNU long names), for archives a build made: it never
// writes anything to disk and never follows anything; it only reports entries and hands over the bodies asked for,
// each bounded. Anything malformed (bad checksum, bad number, invalid UTF-8 name, a stream that ends inside an
// entry) is a ResultRejected.
import { ResultRejected, quoteUntrusted } from '../../../domain/formats/result-rejected';

const BLOCK = 512;
/** Longest name or link target accepted, in bytes (Linux PATH_MAX). */
const MAX_NAME_BYTES = 4096;
const MAX_PAX_BYTES = 64 * 1024;

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'directory' | 'chardev' | 'blockdev' | 'fifo';

export interface TarEntry {
  /** As stored: a folder may or may not end in `/`. */
  path: string;
  type: TarEntryType;
  size: number;
  linkpath?: string;
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'chardev', '4': 'blockdev', '5': 'directory', '6': 'fifo',
};

/**
 * Calls onEntry for each entry; when it returns a number, the body (at most that many bytes, else rejected) is read
 * and passed to the second callback. Stops at the end-of-archive block; a stream without one is truncated.
 */
export async function readTar(
  source: AsyncIterable<Buffer>,
  onEntry: (entry: TarEntry) => number | undefined,
  onBody: (entry: TarEntry, body: Buffer) => void,
): Promise<void> {
  const input = new ByteReader(source);
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  try {
    for (;;) {
      const header = await input.read(BLOCK);
      if (header.length === 0) throw new ResultRejected('the package archive ends without an end-of-archive block');
      if (header.length < BLOCK) throw new ResultRejected('the package archive ends inside a header');
      if (header.every((b) => b === 0)) return;
      checkChecksum(header);
      const typeFlag = String.fromCharCode(header[156]);
      const size = parseNumber(header.subarray(124, 136), 'size');
      const pad = (BLOCK - (size % BLOCK)) % BLOCK;
      if (typeFlag === 'x' || typeFlag === 'g' || typeFlag === 'L' || typeFlag === 'K') {
        const limit = typeFlag === 'x' || typeFlag === 'g' ? MAX_PAX_BYTES : MAX_NAME_BYTES + 1;
        if (size > limit) throw new ResultRejected(`a ${typeFlag} record of the package archive is over ${limit} bytes`);
        const body = await input.readExactly(size);
        await input.skip(pad);
        // Global pax headers (`g`) set defaults Kiln has no use for; they cannot name an entry.
        if (typeFlag === 'x') pax = parsePax(body);
        else if (typeFlag === 'L') longName = cString(body, 'long name');
        else if (typeFlag === 'K') longLink = cString(body, 'long link name');
        continue;
      }
      const type = TYPES[typeFlag];
      if (!type) throw new ResultRejected(`the package archive holds an entry of type ${quoteUntrusted(typeFlag)}`);
      const paxSize = pax?.get('size');
      const entry: TarEntry = {
        path: pax?.get('path') ?? longName ?? headerName(header),
        type,
        size: paxSize !== undefined ? decimal(paxSize, 'pax size') : size,
      };
      const link = pax?.get('linkpath') ?? longLink ?? (type === 'symlink' || type === 'hardlink' ? field(header, 157, 100, 'link name') : undefined);
      if (link !== undefined) entry.linkpath = link;
      pax = longName = longLink = undefined;
      // Links, folders and devices have no body in tar, whatever their size field says (GNU tar writes 0).
      const bodySize = type === 'file' ? entry.size : 0;
      const bodyPad = (BLOCK - (bodySize % BLOCK)) % BLOCK;
      const want = onEntry(entry);
      if (want !== undefined) {
        if (bodySize > want) throw new ResultRejected(`${quoteUntrusted(entry.path)} in the package is over ${want} bytes`);
        onBody(entry, await input.readExactly(bodySize));
      } else {
        await input.skip(bodySize);
      }
      await input.skip(bodyPad);
    }
  } finally {
    await input.close();
  }
}

/** Pulls exact byte counts from chunks without copying what is skipped. */
class ByteReader {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly iterator: AsyncIterator<Buffer>;
  private done = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.iterator.next();
    if (next.done) { this.done = true; return false; }
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, next.value]) : next.value;
    return true;
  }

  /** n bytes, or fewer at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    while (this.buffer.length < n && (await this.fill()));
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(out.length);
    return out;
  }

  async readExactly(n: number): Promise<Buffer> {
    const out = await this.read(n);
    if (out.length < n) throw new ResultRejected('the package archive ends inside an entry');
    return Buffer.from(out);
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.buffer.length === 0 && !(await this.fill())) throw new ResultRejected('the package archive ends inside an entry');
      const take = Math.min(left, this.buffer.length);
      this.buffer = this.buffer.subarray(take);
      left -= take;
    }
  }

  async close(): Promise<void> {
    if (!this.done) await this.iterator.return?.();
  }
}

function checkChecksum(header: Buffer): void {
  const text = header.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  const stored = /^[0-7]{1,7}$/.test(text) ? parseInt(text, 8) : NaN;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : header[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  // Old tars summed signed bytes; libarchive takes either.
  if (stored !== unsigned && stored !== signed) throw new ResultRejected('the package archive has a header with a bad checksum (not a tar archive?)');
}

/** Octal, or base-256 (GNU, for sizes over 8 GiB) bounded to a safe integer. */
function parseNumber(raw: Buffer, what: string): number {
  if (raw[0] & 0x80) {
    if (raw[0] !== 0x80) throw new ResultRejected(`the package archive has a negative or huge ${what}`);
    let n = 0;
    for (const b of raw.subarray(1)) {
      n = n * 256 + b;
      if (!Number.isSafeInteger(n)) throw new ResultRejected(`the package archive has a huge ${what}`);
    }
    return n;
  }
  const text = raw.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]*$/.test(text)) throw new ResultRejected(`the package archive has a malformed ${what} (not a tar archive?)`);
  return text ? parseInt(text, 8) : 0;
}

function decimal(text: string, what: string): number {
  if (!/^[0-9]{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) throw new ResultRejected(`the package archive has a malformed ${what}`);
  return Number(text);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function utf8(bytes: Buffer, what: string): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new ResultRejected(`the package archive has a ${what} that is not UTF-8`);
  }
}

function cString(bytes: Buffer, what: string): string {
  const nul = bytes.indexOf(0);
  const raw = bytes.subarray(0, nul < 0 ? bytes.length : nul);
  if (raw.length > MAX_NAME_BYTES) throw new ResultRejected(`the package archive has a ${what} over ${MAX_NAME_BYTES} bytes`);
  return utf8(raw, what);
}

function field(header: Buffer, from: number, length: number, what: string): string {
  return cString(header.subarray(from, from + length), what);
}

function headerName(header: Buffer): string {
  const name = field(header, 0, 100, 'name');
  // The prefix field is POSIX ustar's only ("ustar\0"); GNU tar ("ustar  ") keeps other data there.
  const posix = header.subarray(257, 263).equals(Buffer.from('ustar\0', 'latin1'));
  const prefix = posix ? field(header, 345, 155, 'name prefix') : '';
  return prefix ? `${prefix}/${name}` : name;
}

/** pax records: `<length> <key>=<value>\n`, the length counting the whole record. */
function parsePax(body: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    const lengthText = space > at ? body.subarray(at, space).toString('latin1') : '';
    const length = /^[1-9][0-9]{0,5}$/.test(lengthText) ? Number(lengthText) : NaN;
    if (!(length > 0) || at + length > body.length || body[at + length - 1] !== 0x0a) throw new ResultRejected('the package archive has a malformed pax header');
    const record = utf8(body.subarray(space + 1, at + length - 1), 'pax record');
    const eq = record.indexOf('=');
    if (eq <= 0) throw new ResultRejected('the package archive has a malformed pax record');
    records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}
