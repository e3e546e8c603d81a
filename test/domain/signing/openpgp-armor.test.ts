import { describe, expect, it } from 'vitest';
import { ArmorRejected, armorSignature, crc24, dearmorSignature, joinClearSignatures, joinDetachedSignatures } from '../../../domain/signing/openpgp-armor';

// The armor Kiln joins several keys' signatures with; real gpg signatures are joined and verified by gpgv and apt in
// test/activities/signer/key-rotation.test.ts and test/workflows/key-rotation.int.test.ts.
describe('OpenPGP armor', () => {
  it('computes RFC 4880\'s CRC-24 (the CRC-24/OPENPGP check value of "123456789" is 0x21cf02)', () => {
    expect(crc24(Buffer.from('123456789'))).toBe(0x21cf02);
    expect(crc24(Buffer.alloc(0))).toBe(0xb704ce);
  });

  it('armors and dearmors packets, headers skipped, the checksum checked', () => {
    const data = Buffer.from(Array.from({ length: 200 }, (_, i) => i));
    const armored = armorSignature(data);
    expect(armored.split('\n').every((line) => line.length <= 64 || line.startsWith('-----'))).toBe(true);
    expect(dearmorSignature(armored)).toEqual(data);
    expect(dearmorSignature(armored.replace('-----BEGIN PGP SIGNATURE-----\n', '-----BEGIN PGP SIGNATURE-----\nComment: hello\n'))).toEqual(data);
    const lines = armored.split('\n');
    lines[2] = `A${lines[2].slice(1)}` === lines[2] ? `B${lines[2].slice(1)}` : `A${lines[2].slice(1)}`;
    expect(() => dearmorSignature(lines.join('\n'))).toThrow(ArmorRejected);
  });

  it('joins detached signatures packet by packet, and clear-signatures of one text only', () => {
    const [a, b] = [Buffer.from('first packet'), Buffer.from('second packet')];
    expect(dearmorSignature(joinDetachedSignatures([armorSignature(a), armorSignature(b)]))).toEqual(Buffer.concat([a, b]));
    const clear = (text: string, sig: Buffer) => `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n${text}\n${armorSignature(sig)}`;
    const joined = joinClearSignatures([clear('Origin: Kiln', a), clear('Origin: Kiln', b)]);
    expect(joined.startsWith('-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: Kiln\n-----BEGIN PGP SIGNATURE-----')).toBe(true);
    expect(dearmorSignature(joined)).toEqual(Buffer.concat([a, b]));
    expect(() => joinClearSignatures([clear('Origin: Kiln', a), clear('Origin: Evil', b)])).toThrow(/texts differ/);
    expect(joinClearSignatures([clear('x', a)])).toBe(clear('x', a));
  });
});
