import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { lastErrorLine, TemporalDevServer } from '../../workers/lib/temporal-dev-server';
import { temporalBinary } from '../../workers/lib/temporal-binary';
import { freePort } from '../helpers/ports';

// Starting the dev server: a port Kiln was configured with and is taken is a clear error at once; a port the server
// chose itself and lost to another process (its HTTP, metrics and internal ports are random) is tried again; any
// other exit during start says the server's own reason.
describe('TemporalDevServer.start', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-devserver-'));
  const realBinary = temporalBinary();
  let server: TemporalDevServer | undefined;
  afterEach(async () => {
    delete process.env.KILN_TEMPORAL_BIN;
    await server?.stop();
    server = undefined;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const make = async (name: string, dbFile = path.join(dir, `${name}.db`)) =>
    new TemporalDevServer({ dbFile, logFile: path.join(dir, `${name}.log`), port: await freePort(), uiPort: await freePort() });

  it('refuses a taken Web UI port before starting anything', async () => {
    server = await make('ui-taken');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(server!.options.uiPort, '127.0.0.1', resolve));
    try {
      await expect(server.start()).rejects.toThrow(`port ${server.options.uiPort} (Temporal Web UI) is already in use`);
      expect(server.running).toBe(false);
      expect(fs.existsSync(server.options.logFile)).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it('starts again when a port the server picked itself was taken meanwhile', async () => {
    // The first start loses the race exactly as the real server reports it; the second is the real server.
    const counter = path.join(dir, 'starts');
    const wrapper = path.join(dir, 'temporal-racy');
    fs.writeFileSync(wrapper, [
      '#!/bin/sh',
      `echo x >> '${counter}'`,
      `if [ "$(wc -l < '${counter}')" -eq 1 ]; then`,
      `  echo 'time=2026-12-03T05:34:05.631 level=ERROR msg="cannot set frontend HTTP port 17555: listen tcp 127.0.0.1:17555: bind: address already in use"'`,
      '  exit 1',
      'fi',
      `exec '${realBinary}' "$@"`,
      '',
    ].join('\n'), { mode: 0o755 });
    process.env.KILN_TEMPORAL_BIN = wrapper;
    server = await make('racy');
    await server.start();
    expect(server.running).toBe(true);
    expect(fs.readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(2);
  }, 90_000);

  it('says why the server exited when it was not a port race, and does not try again', async () => {
    // A directory where the SQLite file should be: the real server gives up with its own message.
    const dbDir = path.join(dir, 'not-a-file.db');
    fs.mkdirSync(dbDir);
    server = await make('bad-db', dbDir);
    await expect(server.start()).rejects.toThrow(/exited during start: failed starting server: .*unable to open database file/);
    expect(server.running).toBe(false);
    const log = fs.readFileSync(server.options.logFile, 'utf8');
    expect(log.match(/failed starting server/g)).toHaveLength(1);
  }, 60_000);
});

describe('lastErrorLine', () => {
  it('takes the message of the last error line, in either of the server\'s log formats', () => {
    expect(lastErrorLine([
      'time=1 level=WARN msg="slow"',
      'time=2 level=ERROR msg="can\'t set \\"x\\": bind: address already in use"',
      '',
    ].join('\n'))).toBe('can\'t set "x": bind: address already in use');
    expect(lastErrorLine('{"level":"error","msg":"failed creating namespaces"}\n')).toBe('failed creating namespaces');
    expect(lastErrorLine('panic: something else\n')).toBe('panic: something else');
    expect(lastErrorLine('\n\n')).toBeUndefined();
  });
});
