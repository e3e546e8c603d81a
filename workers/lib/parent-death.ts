import * as fs from 'node:fs';

// Node cannot set PR_SET_PDEATHSIG itself, and a SIGKILLed parent gets no chance to stop its children: util-linux's
// setpriv sets it and execs the real command (same pid), so the kernel sends the child SIGTERM when its parent dies.

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => fs.existsSync(file));

/** The command and arguments that run `command` so that it gets SIGTERM when this process dies (as is, without setpriv). */
export function stopWithParent(command: string, args: string[]): { command: string; args: string[] } {
  if (!SETPRIV) return { command, args };
  return { command: SETPRIV, args: ['--pdeathsig', 'TERM', '--', command, ...args] };
}
