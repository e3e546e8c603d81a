import * as crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSourcePackage, isSourceFileName, type SourceFileFacts } from '../../../../domain/formats/deb/source-package';
import { ResultRejected } from '../../../../domain/formats/result-rejected';

// A .dsc and its files as a build hands them back: everything in them is the build's, so every claim is checked
// against what the host measured, and only known fields reach the Sources index.

const tarball = Buffer.from('a tarball');
const facts = (name: string, data: Buffer): SourceFileFacts => ({
  name, size: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex'), md5: crypto.createHash('md5').update(data).digest('hex'),
});
const tar = facts('kiln-hello_1.2.tar.xz', tarball);

function dscText(overrides: { source?: string; version?: string; files?: SourceFileFacts[]; extra?: string[] } = {}): string {
  const files = overrides.files ?? [tar];
  return [
    'Format: 3.0 (native)',
    `Source: ${overrides.source ?? 'kiln-hello'}`,
    'Binary: kiln-hello',
    'Architecture: any',
    `Version: ${overrides.version ?? '1.2'}`,
    'Maintainer: Kiln Tests <tests@kiln.invalid>',
    'Standards-Version: 4.6.2',
    'Build-Depends: debhelper-compat (= 13),',
    ' libkiln-dev',
    'Package-List:',
    ' kiln-hello deb utils optional arch=any',
    ...(overrides.extra ?? []),
    'Checksums-Sha256:',
    ...files.map((f) => ` ${f.sha256} ${f.size} ${f.name}`),
    'Files:',
    ...files.map((f) => ` ${f.md5} ${f.size} ${f.name}`),
    '',
  ].join('\n');
}
const dscFacts = (text: string) => facts('kiln-hello_1.2.dsc', Buffer.from(text));
const expected = { source: 'kiln-hello', version: '1.2' };
const rejects = (fn: () => unknown, message: RegExp) => {
  expect(fn).toThrow(ResultRejected);
  expect(fn).toThrow(message);
};

describe('checkSourcePackage', () => {
  it('makes a Sources stanza of the known fields, with the .dsc itself in Files and Checksums-Sha256', () => {
    const text = dscText({ extra: ['X-Evil: $(rm -rf /)', 'Dgit: abc'] });
    const d = dscFacts(text);
    const { stanza } = checkSourcePackage(text, d, [tar], expected);
    expect(stanza).toBe([
      'Package: kiln-hello',
      'Binary: kiln-hello',
      'Version: 1.2',
      'Maintainer: Kiln Tests <tests@kiln.invalid>',
      'Build-Depends: debhelper-compat (= 13),',
      ' libkiln-dev',
      'Architecture: any',
      'Standards-Version: 4.6.2',
      'Format: 3.0 (native)',
      'Package-List:',
      ' kiln-hello deb utils optional arch=any',
      'Files:',
      ` ${d.md5} ${d.size} kiln-hello_1.2.dsc`,
      ` ${tar.md5} ${tar.size} kiln-hello_1.2.tar.xz`,
      'Checksums-Sha256:',
      ` ${d.sha256} ${d.size} kiln-hello_1.2.dsc`,
      ` ${tar.sha256} ${tar.size} kiln-hello_1.2.tar.xz`,
      '',
    ].join('\n'));
  });

  it('drops the epoch from the .dsc\'s name only', () => {
    const text = dscText({ version: '2:1.2' });
    expect(() => checkSourcePackage(text, { ...dscFacts(text), name: 'kiln-hello_1.2.dsc' }, [tar], { source: 'kiln-hello', version: '2:1.2' })).not.toThrow();
  });

  it('refuses another source or version, a misnamed .dsc, a signed one, or one of several paragraphs', () => {
    rejects(() => checkSourcePackage(dscText({ source: 'libc6' }), dscFacts(dscText()), [tar], expected), /source "libc6", not kiln-hello/);
    rejects(() => checkSourcePackage(dscText({ version: '9.9' }), dscFacts(dscText()), [tar], expected), /version "9.9", not the recipe's 1.2/);
    rejects(() => checkSourcePackage(dscText(), { ...dscFacts(dscText()), name: 'other_1.2.dsc' }, [tar], expected), /is named kiln-hello_1.2.dsc/);
    const signed = `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n${dscText()}`;
    rejects(() => checkSourcePackage(signed, dscFacts(signed), [tar], expected), /is signed/);
    const two = `${dscText()}\nSource: x\n`;
    rejects(() => checkSourcePackage(two, dscFacts(two), [tar], expected), /one paragraph/);
    const control = dscText().replace('Binary: kiln-hello', 'Binary: kiln-hello\u001b[2J');
    rejects(() => checkSourcePackage(control, dscFacts(control), [tar], expected), /control character/);
  });

  it('refuses files the .dsc lists but the build did not hand back, with other digests, or not listed at all', () => {
    const text = dscText();
    rejects(() => checkSourcePackage(text, dscFacts(text), [], expected), /lists "kiln-hello_1.2.tar.xz", which the build did not hand back/);
    rejects(() => checkSourcePackage(text, dscFacts(text), [{ ...tar, sha256: '0'.repeat(64) }], expected), /size and SHA-256/);
    rejects(() => checkSourcePackage(text, dscFacts(text), [{ ...tar, md5: '0'.repeat(32) }], expected), /size and MD5/);
    const extra = facts('kiln-hello_1.2.diff.gz', Buffer.from('x'));
    rejects(() => checkSourcePackage(text, dscFacts(text), [tar, extra], expected), /kiln-hello_1.2.diff.gz is not listed by the .dsc/);
    const foreign = facts('libc6_2.36.tar.xz', Buffer.from('y'));
    const listsForeign = dscText({ files: [tar, foreign] });
    rejects(() => checkSourcePackage(listsForeign, dscFacts(listsForeign), [tar, foreign], expected), /not a file of source kiln-hello/);
    const bad = dscText().replace(/^ [0-9a-f]{64} /m, ' nothex ');
    rejects(() => checkSourcePackage(bad, dscFacts(bad), [tar], expected), /malformed line/);
  });
});

describe('isSourceFileName', () => {
  it('takes what dpkg-source makes, nothing a path or shell reads', () => {
    for (const ok of ['kiln-hello_1.2.dsc', 'kiln-hello_1.2.tar.xz', 'hello_2.10-3.debian.tar.xz', 'hello_2.10.orig.tar.gz', 'x_1.diff.gz']) expect(isSourceFileName(ok), ok).toBe(true);
    for (const bad of ['../x_1.dsc', 'x_1.dsc/..', 'X_1.dsc', 'x.dsc', 'x_1.tar', 'x_1.tar.zst', 'x_1 .dsc', '-x_1.dsc']) expect(isSourceFileName(bad), bad).toBe(false);
  });
});
