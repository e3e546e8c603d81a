import { describe, expect, it } from 'vitest';
import { parseAutopkgtestControl } from '../../../../domain/formats/deb/autopkgtest';

const context = { binaries: ['kiln-hello', 'kiln-hello-doc'] };

describe('debian/tests/control (autopkgtest)', () => {
  it('reads Tests and Test-Command paragraphs, with @ standing for the source\'s packages', () => {
    const plan = parseAutopkgtestControl([
      'Tests: smoke, upgrade',
      '',
      'Test-Command: kiln-hello | grep -q Hello',
      'Depends: @, python3 (>= 3.9) | perl',
      'Restrictions: allow-stderr, needs-root',
      '',
      'Tests: other',
      'Tests-Directory: test/cases',
      'Depends: @builddeps@, kiln-hello',
      'Restrictions: skippable flaky',
    ].join('\n'), context);
    expect(plan.skipped).toEqual([]);
    expect(plan.tests).toEqual([
      { name: 'smoke', kind: 'file', run: 'debian/tests/smoke', depends: ['kiln-hello', 'kiln-hello-doc'], builddeps: false, asRoot: false, allowStderr: false, skippable: false, flaky: false },
      { name: 'upgrade', kind: 'file', run: 'debian/tests/upgrade', depends: ['kiln-hello', 'kiln-hello-doc'], builddeps: false, asRoot: false, allowStderr: false, skippable: false, flaky: false },
      { name: 'command1', kind: 'command', run: 'kiln-hello | grep -q Hello', depends: ['kiln-hello', 'kiln-hello-doc', 'python3 (>= 3.9) | perl'], builddeps: false, asRoot: true, allowStderr: true, skippable: false, flaky: false },
      { name: 'other', kind: 'file', run: 'test/cases/other', depends: ['kiln-hello'], builddeps: true, asRoot: false, allowStderr: false, skippable: true, flaky: true },
    ]);
  });

  it('skips and lists tests with restrictions it cannot honour, unknown ones included', () => {
    const plan = parseAutopkgtestControl([
      'Tests: online',
      'Restrictions: needs-internet',
      '',
      'Test-Command: true',
      'Restrictions: isolation-machine, something-new',
      '',
      'Tests: fine',
    ].join('\n'), context);
    expect(plan.tests.map((t) => t.name)).toEqual(['fine']);
    expect(plan.skipped).toEqual([
      { name: 'online', reason: 'needs-internet: install tests run offline' },
      { name: 'command1', reason: 'isolation-machine: tests run in a container, not a machine of their own; something-new: a restriction Kiln does not know' },
    ]);
  });

  it.each([
    ['Tests: ../../etc/passwd', /not a test name/],
    ['Tests: a/b', /not a test name/],
    ['Tests: ok\nTests-Directory: ../outside', /not a path inside the source/],
    ['Tests: ok\nTests-Directory: /abs', /not a path inside the source/],
    ['Tests: ok\nTest-Command: true', /exactly one/],
    ['Depends: @', /exactly one/],
    ['Tests: ok\nDepends: foo (>> )', /Depends/],
    ['Tests: ok\n\nTests: ok', /declared twice/],
  ])('refuses %j', (text, message) => {
    expect(() => parseAutopkgtestControl(text, context)).toThrow(message);
  });

  it('names the line of a problem', () => {
    expect(() => parseAutopkgtestControl('Tests: fine\n\nTests: bad/name\n', context)).toThrow(/line 3/);
  });
});
