// The `kiln` command (bin/kiln.js): run() does everything; this gives it the process's streams and ends with its
// exit code once what it wrote has gone out (process.exit would cut a piped stdout short).
import { processIo } from './io';
import { run } from './run';

// `kiln logs ... | head`: the reader left, which is no error of ours.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

run(process.argv.slice(2), processIo()).then(
  (code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code))),
  (err: unknown) => {
    console.error(`kiln: INTERNAL: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
