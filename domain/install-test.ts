// The install test: after every build of a push succeeded and before it may publish, each newly built package is
// installed into a fresh container of the tree's base with its runtime dependencies, then the recipe's own tests run
// there, offline. What the workflow tracks per build, and what a format's test plan is.

export type InstallTestState = 'waiting' | 'testing' | 'passed' | 'failed' | 'cancelled';

/** One test the recipe declares, validated on the host before anything runs it. */
export interface InstallTestCase {
  /** autopkgtest's name: the file's name, or `command<N>` for the N-th Test-Command. */
  name: string;
  /** file: an executable of the recipe, `run` its path in it; command: `run` is a shell command (sh -c). */
  kind: 'file' | 'command';
  run: string;
  /** Installed first, on the dependency network: one relation (Debian) or package name (pacman) each. */
  depends: string[];
  /** Install the source's Build-Depends too (autopkgtest's `@builddeps@`). */
  builddeps: boolean;
  /** needs-root: run as root (with only the container's package-installation capabilities, no network); else as the unprivileged user. */
  asRoot: boolean;
  /** allow-stderr: output on stderr does not fail the test. */
  allowStderr: boolean;
  /** skippable: exit 77 means skipped. */
  skippable: boolean;
  /** flaky: a failure is reported, and does not fail the push. */
  flaky: boolean;
}

export interface InstallTestPlan {
  tests: InstallTestCase[];
  /** Tests Kiln does not run, and why (a restriction it cannot honour). */
  skipped: Array<{ name: string; reason: string }>;
}

/** What one install test run did: shown in the UI and the CLI. */
export interface InstallTestSummary {
  /** Packages installed one per fresh container. */
  installed: string[];
  passed: string[];
  /** Failed tests (and packages that did not install); a flaky test's failure is listed with "(flaky)". */
  failed: string[];
  skipped: Array<{ name: string; reason: string }>;
  /** The build's key passed its install test before (in an earlier push, at this time): not run again. */
  passedBefore?: string;
}

/** The install test of one build (source on arch), as the push workflow tracks it. */
export interface InstallTestStatus {
  /** The build's id, `<source>/<arch>`. */
  id: string;
  source: string;
  arch: string;
  state: InstallTestState;
  /** 1 on the first run; each retry adds one. */
  attempt: number;
  startedAt?: number;
  finishedAt?: number;
  error?: { type: string; message: string };
  summary?: InstallTestSummary;
}

/** An install test still runs or will: its build's log may still grow. */
export function installTestPending(test: InstallTestStatus | undefined): boolean {
  return test?.state === 'waiting' || test?.state === 'testing';
}
