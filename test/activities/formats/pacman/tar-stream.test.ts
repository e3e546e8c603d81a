import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readTar, type TarEntry } from '../../../../activities/formats/pacman/tar-stream';
import { writeTar } from '../../../../activities/formats/pacman/tar-writer';

async function list(tar: Buffer, chunk = 100): Promise<Array<TarEntry & { body?: string }>> {
  const out: Array<TarEntry & { body?: string }> = [];
  // Odd chunk sizes: headers and bodies cross chunk boundaries.
  const chunks: Buffer[] = [];
  for (let i = 0; i < tar.length; i += chunk) chunks.push(tar.subarray(i, i + chunk));
  await readTar(Readable.from(chunks), (e) => { out.push({ ...e }); return e.type === 'file' ? 1 << 20 : undefined; }, (e, body) => {
    out[out.length - 1].body = body.toString();
  });
  return out;
}

describe('readTar on what writeTar makes', () => {
  it('reads folders and files back, across chunk boundaries', async () => {
    const tar = writeTar([{ path: 'a/' }, { path: 'a/desc', data: Buffer.from('hello\n') }], { mtime: 0 });
    expect(await list(tar, 7)).toEqual([
      { path: 'a/', type: 'directory', size: 0 },
      { path: 'a/desc', type: 'file', size: 6, body: 'hello\n' },
    ]);
  });

  it('long names: ustar prefix, then a pax path record', async () => {
    const mid = `${'d'.repeat(120)}/${'f'.repeat(90)}`;
    const long = `${'x'.repeat(300)}/file`;
    const tar = writeTar([{ path: mid, data: Buffer.from('1') }, { path: long, data: Buffer.from('2') }], { mtime: 0 });
    expect((await list(tar)).map((e) => [e.path, e.body])).toEqual([[mid, '1'], [long, '2']]);
  });

  it('is reproducible', () => {
    const make = () => writeTar([{ path: 'a/' }, { path: 'a/b', data: Buffer.from('x') }], { mtime: 0 });
    expect(make().equals(make())).toBe(true);
  });
});

describe('readTar refuses', () => {
  const good = () => writeTar([{ path: 'a', data: Buffer.from('x'.repeat(600)) }], { mtime: 0 });
  it('a bad header checksum', async () => {
    const tar = good();
    tar[0] = 'b'.charCodeAt(0);
    await expect(list(tar)).rejects.toThrow('bad checksum');
  });
  it('a stream cut inside a body', async () => {
    await expect(list(good().subarray(0, 700))).rejects.toThrow('ends inside');
  });
  it('a stream without an end-of-archive block', async () => {
    await expect(list(good().subarray(0, 1536))).rejects.toThrow('without an end-of-archive block');
  });
  it('a body larger than asked for', async () => {
    await expect(readTar(Readable.from([good()]), () => 10, () => undefined)).rejects.toThrow('over 10 bytes');
  });
  it('garbage', async () => {
    await expect(list(Buffer.alloc(1024, 0x41))).rejects.toThrow('not a tar archive');
  });
});
