import { usageError } from './cli-error';

// What the CLI touches of its process, passed in so that tests run `run()` in-process with their own streams.

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** The environment: API URL and token (`KILN_API_URL`, `KILN_API_TOKEN`, ...), config locations, HOME. */
  env: Record<string, string | undefined>;
  /**
   * The first line of standard input (`kiln login` reads its token there); absent when there is none. At a terminal,
   * `prompt` is shown first and what is typed is not.
   */
  stdinText?: (prompt?: string) => Promise<string>;
  /** Standard output is a terminal: `push --wait` redraws its grid in place instead of printing lines. */
  isTTY: boolean;
  /** The terminal's size, when it is one. */
  columns?: number;
  rows?: number;
  /** How often `--wait` asks again and `--follow` reconnects; default 1 s (tests shorten it). */
  pollMs?: number;
}

/** The process's own streams and environment. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stdinText: (prompt) => (process.stdin.isTTY ? hiddenLine(process.stdin, prompt ?? '') : firstLine(process.stdin)),
    isTTY: process.stdout.isTTY === true,
    get columns() { return process.stdout.columns; },
    get rows() { return process.stdout.rows; },
  };
}

/** Reads up to the first newline (or the end), then lets go of the stream: a terminal does not have to send EOF. */
function firstLine(stream: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = () => {
      stream.off('data', onData).off('end', done).off('error', reject);
      stream.pause();
      resolve(text.split('\n')[0]);
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (text.includes('\n')) done();
    };
    stream.on('data', onData).on('end', done).on('error', reject);
  });
}

/** Where output goes: stdout holds the answer (one JSON document with --json), stderr notes and, with --json, progress. */
export class Output {
  constructor(private readonly io: CliIo, readonly json: boolean) {}

  /** A line of the answer, on stdout. */
  line(text = ''): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** The answer as one JSON document (--json). */
  document(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** One line of a JSON stream (--json with --follow). */
  record(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Raw text on stdout (a build log). */
  raw(text: string): void {
    this.io.stdout.write(text);
  }

  /** A note for people, on stderr: never mixed into an answer a script reads. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /** Progress lines: on stdout for people, on stderr when stdout is the JSON answer. */
  progress(text: string): void {
    (this.json ? this.io.stderr : this.io.stdout).write(`${text}\n`);
  }
}

/**
 * A line typed at a terminal, not shown (a token must not stay on screen or in a terminal's scrollback): raw mode, so
 * the terminal does not echo; Enter ends it, Backspace takes back a character, Ctrl-C or Ctrl-D gives up.
 */
function hiddenLine(stream: NodeJS.ReadStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (err?: Error) => {
      stream.off('data', onData);
      stream.setRawMode(false);
      stream.pause();
      process.stderr.write('\n');
      if (err) reject(err); else resolve(text);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(usageError('no token entered'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else if (ch >= ' ') text += ch;
      }
    };
    // Raw before the prompt: what is typed as soon as it shows is not echoed either.
    stream.setRawMode(true);
    process.stderr.write(prompt);
    stream.resume();
    stream.on('data', onData);
  });
}
