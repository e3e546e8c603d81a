// debian/tests/control (autopkgtest's DEP-8 format) read into a test plan Kiln can run. The file is the recipe's,
// so hostile: every name and path is checked here, and a restriction Kiln cannot honour skips its test, listed.
import { KilnError } from '../../errors';
import type { InstallTestCase, InstallTestPlan } from '../../install-test';
import { fieldOf, lineAt, parseDeb822 } from './deb822';
import { parseRelations } from './relations';

export interface AutopkgtestContext {
  /** What `@` stands for: the source's binary packages built for this architecture. */
  binaries: readonly string[];
}

/** Restrictions whose meaning Kiln keeps: a fresh, throwaway container per test is already what they ask for. */
const HONOURED = new Set(['allow-stderr', 'needs-root', 'superficial', 'skippable', 'flaky', 'breaks-testbed', 'isolation-container', 'rw-build-tree']);
const WHY_NOT: Record<string, string> = {
  'needs-internet': 'install tests run offline',
  'isolation-machine': 'tests run in a container, not a machine of their own',
  'needs-reboot': 'a container cannot reboot',
  'build-needed': 'tests run against the installed packages, not a built source tree',
  'needs-sudo': 'the test user has no sudo',
  'hint-testsuite-triggers': 'a hint for test schedulers, not a test',
};
const TEST_NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
const DIR_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
const MAX_TESTS = 100;
const MAX_COMMAND = 16 * 1024;

function invalid(line: number, message: string): KilnError {
  return new KilnError('RECIPE_INVALID', `debian/tests/control line ${line}: ${message}`, { line });
}

export function parseAutopkgtestControl(text: string, context: AutopkgtestContext): InstallTestPlan {
  const plan: InstallTestPlan = { tests: [], skipped: [] };
  let commands = 0;
  for (const paragraph of parseDeb822(text)) {
    const tests = fieldOf(paragraph, 'Tests');
    const command = fieldOf(paragraph, 'Test-Command');
    if (!tests === !command) throw invalid(paragraph.line, 'a test paragraph has either Tests or Test-Command (exactly one)');

    const dirField = fieldOf(paragraph, 'Tests-Directory');
    const dir = dirField ? dirField.value.trim() : 'debian/tests';
    if (dirField && !dir.split('/').every((s) => DIR_SEGMENT.test(s))) {
      throw invalid(dirField.lines[0], `Tests-Directory "${dir.slice(0, 80)}" is not a path inside the source`);
    }

    const restrictionsField = fieldOf(paragraph, 'Restrictions');
    const restrictions = restrictionsField ? restrictionsField.value.split(/[\s,]+/).filter(Boolean) : [];
    const refused = restrictions.filter((r) => !HONOURED.has(r));

    const dependsField = fieldOf(paragraph, 'Depends');
    const depends: string[] = [];
    let builddeps = false;
    const written = dependsField ? dependsField.value.replace(/\s+/g, ' ').trim() : '@';
    for (const clause of written.split(',').map((c) => c.trim()).filter(Boolean)) {
      if (clause === '@' || clause === '@recommends@') depends.push(...context.binaries);
      else if (clause === '@builddeps@') builddeps = true;
      else {
        // Validated as a relation (name, version, arch list): what reaches apt-get satisfy is well-formed.
        parseRelations(clause, { field: 'Depends', lineAt: (offset) => (dependsField ? lineAt(dependsField, offset) : paragraph.line) });
        depends.push(clause);
      }
    }

    const base = {
      depends: [...new Set(depends)], builddeps,
      asRoot: restrictions.includes('needs-root'), allowStderr: restrictions.includes('allow-stderr'),
      skippable: restrictions.includes('skippable'), flaky: restrictions.includes('flaky'),
    };
    const cases: InstallTestCase[] = [];
    if (command) {
      commands++;
      const shell = command.value.trim();
      if (shell === '') throw invalid(command.lines[0], 'Test-Command is empty');
      if (shell.length > MAX_COMMAND) throw invalid(command.lines[0], `Test-Command is over ${MAX_COMMAND} characters`);
      if (/[\0]/.test(shell)) throw invalid(command.lines[0], 'Test-Command holds a NUL character');
      cases.push({ name: `command${commands}`, kind: 'command', run: shell, ...base });
    } else {
      for (const name of tests!.value.split(/[\s,]+/).filter(Boolean)) {
        if (!TEST_NAME.test(name)) throw invalid(tests!.lines[0], `"${name.slice(0, 80)}" is not a test name (a file name in ${dir})`);
        cases.push({ name, kind: 'file', run: `${dir}/${name}`, ...base });
      }
    }
    for (const c of cases) {
      if (refused.length > 0) {
        plan.skipped.push({ name: c.name, reason: refused.map((r) => `${r}: ${WHY_NOT[r] ?? 'a restriction Kiln does not know'}`).join('; ') });
      } else plan.tests.push(c);
    }
  }
  if (plan.tests.length + plan.skipped.length > MAX_TESTS) throw invalid(1, `more than ${MAX_TESTS} tests`);
  const names = new Set<string>();
  for (const t of plan.tests) {
    if (names.has(t.name)) throw invalid(1, `test ${t.name} is declared twice`);
    names.add(t.name);
  }
  return plan;
}
