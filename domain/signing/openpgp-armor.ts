// ASCII armor of OpenPGP signatures (RFC 4880, sections 6 and 7), enough to put the signatures of several keys into
// one InRelease or Release.gpg: a clear-signed message or a detached signature may carry any number of signature
// packets, and verifiers (gpgv, apt's sqv, pacman's gpgme) accept the message when one of them is by a key they
// trust. Each key lives in its own gpg home dir, so gpg cannot make such a signature in one call: Kiln has each key
// sign, then joins the packets.

const BEGIN_SIGNATURE = '-----BEGIN PGP SIGNATURE-----';
const END_SIGNATURE = '-----END PGP SIGNATURE-----';
const BEGIN_SIGNED = '-----BEGIN PGP SIGNED MESSAGE-----';

/** CRC-24 of RFC 4880 6.1: the armor's checksum line. */
export function crc24(data: Buffer): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

export class ArmorRejected extends Error {}

/** The packets of the (first) armored signature block in `text`; its checksum, when present, must hold. */
export function dearmorSignature(text: string): Buffer {
  const start = text.indexOf(BEGIN_SIGNATURE);
  const end = text.indexOf(END_SIGNATURE, start);
  if (start < 0 || end < 0) throw new ArmorRejected('no armored PGP SIGNATURE block');
  const lines = text.slice(start + BEGIN_SIGNATURE.length, end).split(/\r?\n/);
  // Armor headers (Version:, Comment:) end at the first empty line.
  let i = 1;
  while (i < lines.length && lines[i].trim() !== '') i++;
  const body: string[] = [];
  let checksum: string | undefined;
  for (const line of lines.slice(i + 1)) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('=')) { checksum = trimmed.slice(1); break; }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) throw new ArmorRejected('the signature block is not base64');
    body.push(trimmed);
  }
  const data = Buffer.from(body.join(''), 'base64');
  if (data.length === 0) throw new ArmorRejected('the signature block is empty');
  if (checksum !== undefined) {
    const expected = Buffer.from([crc24(data) >> 16, (crc24(data) >> 8) & 0xff, crc24(data) & 0xff]).toString('base64');
    if (checksum !== expected) throw new ArmorRejected('the signature block\'s checksum does not match');
  }
  return data;
}

/** Packets as an armored PGP SIGNATURE block, 64 characters a line, with its checksum. */
export function armorSignature(data: Buffer): string {
  const b64 = data.toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  const crc = crc24(data);
  const sum = Buffer.from([crc >> 16, (crc >> 8) & 0xff, crc & 0xff]).toString('base64');
  return [BEGIN_SIGNATURE, '', ...lines, `=${sum}`, END_SIGNATURE, ''].join('\n');
}

/** One armored detached signature holding every given signature's packets, in order. */
export function joinDetachedSignatures(signatures: readonly string[]): string {
  if (signatures.length === 1) return signatures[0];
  return armorSignature(Buffer.concat(signatures.map(dearmorSignature)));
}

/**
 * One clear-signed message from several clear-signatures of the same text: the signed part must be the same,
 * byte for byte (same hash header, same dash-escaped text); the signature block carries all their packets.
 */
export function joinClearSignatures(messages: readonly string[]): string {
  if (messages.length === 1) return messages[0];
  const parts = messages.map((m) => {
    if (!m.startsWith(BEGIN_SIGNED)) throw new ArmorRejected('not a clear-signed message');
    const at = m.indexOf(`\n${BEGIN_SIGNATURE}`);
    if (at < 0) throw new ArmorRejected('a clear-signed message without its signature');
    return { signed: m.slice(0, at + 1), signature: dearmorSignature(m.slice(at + 1)) };
  });
  if (parts.some((p) => p.signed !== parts[0].signed)) throw new ArmorRejected('the clear-signed texts differ');
  return parts[0].signed + armorSignature(Buffer.concat(parts.map((p) => p.signature)));
}
