// Signature texts without the CLI: layout, algorithms, comment rules and malformed input.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, prehashMessage, sign, verify, type GeneratedKeyPair } from '../../../../domain/signing/minisign';
import { verifyDetached, publicKeyFromRaw } from '../../../../domain/signing/minisign/ed25519';
import { expectKilnError } from './expect-kiln-error';

const DATA = Buffer.from('Release file\n');
let pair: GeneratedKeyPair;
let signature: string;

beforeAll(async () => {
  pair = await generateKeyPair();
  signature = sign(DATA, pair.secretKey, { trustedComment: 'timestamp:1\tfile:Release' });
});

function invalid(text: string, reason: RegExp): void {
  expectKilnError(() => verify(DATA, text, pair.publicKey), 'MINISIGN_SIGNATURE_INVALID', reason);
}

describe('sign', () => {
  it('writes the four minisign lines, prehashed (ED) by default', () => {
    const lines = signature.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('untrusted comment: signature from minisign secret key');
    expect(lines[2]).toBe('trusted comment: timestamp:1\tfile:Release');
    expect(lines[4]).toBe('');
    const struct = Buffer.from(lines[1], 'base64');
    expect(struct.toString('latin1', 0, 2)).toBe('ED');
    expect(struct.subarray(2, 10).equals(pair.publicKey.keyId)).toBe(true);
    // ED signs BLAKE2b-512(data); the global signature covers signature || trusted comment.
    const key = publicKeyFromRaw(pair.publicKey.publicKey);
    expect(verifyDetached(prehashMessage(DATA), struct.subarray(10), key)).toBe(true);
    const global = Buffer.from(lines[3], 'base64');
    expect(verifyDetached(Buffer.concat([struct.subarray(10), Buffer.from('timestamp:1\tfile:Release')]), global, key)).toBe(true);
  });

  it('writes legacy (Ed) signatures over the data itself when prehash is false', () => {
    const legacy = sign(DATA, pair.secretKey, { trustedComment: 't', untrustedComment: 'custom', prehash: false });
    const [comment, b64] = legacy.split('\n');
    expect(comment).toBe('untrusted comment: custom');
    const struct = Buffer.from(b64, 'base64');
    expect(struct.toString('latin1', 0, 2)).toBe('Ed');
    expect(verifyDetached(DATA, struct.subarray(10), publicKeyFromRaw(pair.publicKey.publicKey))).toBe(true);
    expect(verify(DATA, legacy, pair.publicKey)).toMatchObject({ trustedComment: 't', untrustedComment: 'custom', prehashed: false });
  });

  it('keeps UTF-8 trusted comments intact', () => {
    const sig = sign(DATA, pair.secretKey, { trustedComment: 'dépôt ✓' });
    expect(verify(DATA, sig, pair.publicKey).trustedComment).toBe('dépôt ✓');
  });

  it('refuses comments the CLI would misread', () => {
    expect(() => sign(DATA, pair.secretKey, { trustedComment: 'a\nb' })).toThrow(RangeError);
    expect(() => sign(DATA, pair.secretKey, { trustedComment: 'a', untrustedComment: 'a\rb' })).toThrow(RangeError);
    expect(() => sign(DATA, pair.secretKey, { trustedComment: 'x'.repeat(8174) })).toThrow(/at most 8173/);
    expect(() => sign(DATA, pair.secretKey, { trustedComment: 'x'.repeat(8173) })).not.toThrow();
    expect(() => sign(DATA, pair.secretKey, { trustedComment: 't', untrustedComment: 'x'.repeat(1004) })).toThrow(/at most 1003/);
  });
});

describe('verify rejects malformed signatures with MINISIGN_SIGNATURE_INVALID', () => {
  it('accepts CRLF line ends and a missing final newline', () => {
    expect(verify(DATA, signature.replace(/\n/g, '\r\n'), pair.publicKey).trustedComment).toBe('timestamp:1\tfile:Release');
    expect(verify(DATA, signature.trimEnd(), pair.publicKey).trustedComment).toBe('timestamp:1\tfile:Release');
  });

  it('wrong line count or prefixes', () => {
    const lines = signature.split('\n');
    invalid('', /4 lines, this one has 0/);
    invalid(lines.slice(0, 3).join('\n'), /4 lines, this one has 3/);
    invalid(`${signature}extra\n`, /4 lines, this one has 5/);
    invalid(signature.replace('untrusted comment: ', 'comment: '), /first line/);
    invalid(signature.replace('\ntrusted comment: ', '\ntrusted: '), /third line/);
  });

  it('bad base64 or lengths', () => {
    const lines = signature.split('\n');
    invalid([lines[0], `${lines[1]}AAAA`, lines[2], lines[3]].join('\n'), /74 bytes of base64/);
    invalid([lines[0], lines[1].replace(/^./, '*'), lines[2], lines[3]].join('\n'), /74 bytes of base64/);
    invalid([lines[0], lines[1], lines[2], lines[3].slice(4)].join('\n'), /global signature line is not 64 bytes/);
  });

  it('unsupported algorithm', () => {
    const lines = signature.split('\n');
    const struct = Buffer.from(lines[1], 'base64');
    struct.write('EE', 0, 'latin1');
    invalid([lines[0], struct.toString('base64'), lines[2], lines[3]].join('\n'), /unsupported signature algorithm "EE"/);
  });

  it('a swapped algorithm byte (ED <-> Ed) breaks the signature', () => {
    const lines = signature.split('\n');
    const struct = Buffer.from(lines[1], 'base64');
    struct.write('Ed', 0, 'latin1');
    invalid([lines[0], struct.toString('base64'), lines[2], lines[3]].join('\n'), /does not match the data/);
  });

  it('a malformed public key text is a key error, not a signature error', () => {
    expectKilnError(() => verify(DATA, signature, 'not a key'), 'MINISIGN_KEY_INVALID', /base64/);
  });
});
