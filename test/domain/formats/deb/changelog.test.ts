import { describe, expect, it } from 'vitest';
import { parseChangelog } from '../../../../domain/formats/deb/changelog';
import { errorOf } from '../../../helpers/kiln-error';

const CHANGELOG = `openssh (1:9.2p1-2+deb12u3) bookworm-security; urgency=medium

  * Fix CVE-2024-6387.

 -- Colin Watson <cjwatson@debian.org>  Mon, 01 Jul 2024 10:00:00 +0100

openssh (1:9.2p1-2) unstable; urgency=medium

  * Older entry.

 -- Colin Watson <cjwatson@debian.org>  Mon, 06 Feb 2023 10:00:00 +0000
`;

describe('parseChangelog', () => {
  it('reads the first entry only', () => {
    expect(parseChangelog(CHANGELOG)).toEqual({
      source: 'openssh', version: '1:9.2p1-2+deb12u3', distribution: 'bookworm-security', urgency: 'medium',
    });
  });

  it('skips leading blank lines, keeps several distributions, and reads urgency among other keywords', () => {
    const entry = parseChangelog('\n\nkiln-hello (1.0~rc1)  unstable experimental; binary-only=yes, urgency=low\n');
    expect(entry).toEqual({ source: 'kiln-hello', version: '1.0~rc1', distribution: 'unstable experimental', urgency: 'low' });
  });

  it('has no urgency when the header names none', () => {
    expect(parseChangelog('kiln-docs (1.0) bookworm;\r\n').urgency).toBeUndefined();
  });

  it.each([
    ['', 'debian/changelog is empty'],
    ['  \n\n', 'debian/changelog is empty'],
    ['\n  * Initial release.\n', 'line 2: expected a changelog header'],
    ['kiln-hello 1.0 bookworm; urgency=low', 'line 1: expected a changelog header'],
    ['kiln-hello (1.0) bookworm urgency=low', 'line 1: expected a changelog header'],
    ['kiln-hello (1.0); urgency=low', 'line 1: expected a changelog header'],
    ['kiln-hello (1.0 2) bookworm; urgency=low', 'line 1: expected a changelog header'],
    ['Kiln_Hello (1.0) bookworm; urgency=low', 'line 1: invalid source package name "Kiln_Hello"'],
    ['kiln-hello (v1.0) bookworm; urgency=low', 'line 1: invalid version "v1.0": version number does not start with digit'],
    ['kiln-hello (1.0-) bookworm; urgency=low', 'revision number is empty'],
  ])('refuses %j', (text, message) => {
    const e = errorOf(() => parseChangelog(text));
    expect(e.code).toBe('RECIPE_INVALID');
    expect(e.message).toContain(message);
  });
});
