import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { run } from '../../cli/run';
import { until as pollUntil } from '../helpers/until';
import { restFixture, type FixtureOptions, type RestFixture } from '../api/routes/rest-fixture';

// The CLI in-process against the real API app, listening on a free port, over a hand-made data dir and a fake
// Temporal (test/api/routes/rest-fixture.ts). Each run gets its own environment: never the test process's.

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Added to (or, as undefined, removed from) the fixture's environment. */
  env?: Record<string, string | undefined>;
  stdin?: string;
  isTTY?: boolean;
  /** Called with stdout as it grows (to act while a command follows something). */
  onStdout?: (all: string) => void;
}

export interface CliFixture extends RestFixture {
  /** The API's base URL. */
  url: string;
  /** A HOME of its own (the CLI config file defaults to <home>/.config/kiln/cli.yaml). */
  home: string;
  /** URL of the API, the server's kiln.yaml, HOME; no token. */
  env: Record<string, string | undefined>;
  kiln(argv: string[], options?: RunOptions): Promise<CliResult>;
  close(): Promise<void>;
}

export async function cliFixture(options: FixtureOptions = {}): Promise<CliFixture> {
  const f = await restFixture({ logFollow: { pollMs: 10, statusMs: 10, keepAliveMs: 1_000 }, ...options });
  await f.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-cli-home-'));
  const env = { HOME: home, KILN_API_URL: url, KILN_CONFIG: f.configFile };
  return {
    ...f,
    url,
    home,
    env,
    async kiln(argv, opts = {}) {
      let stdout = '';
      let stderr = '';
      const code = await run(argv, {
        stdout: { write: (text: string) => { stdout += text; opts.onStdout?.(stdout); } },
        stderr: { write: (text: string) => { stderr += text; } },
        env: { ...env, ...opts.env },
        stdinText: opts.stdin === undefined ? undefined : async () => opts.stdin ?? '',
        isTTY: opts.isTTY ?? false,
        columns: 80,
        rows: 24,
        pollMs: 5,
      });
      return { code, stdout, stderr };
    },
    close: () => f.app.close(),
  };
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits until `check` holds, looking often (the CLI runs in-process), or fails naming what it waited for. */
export function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  return pollUntil(what, check, ms, 5);
}
