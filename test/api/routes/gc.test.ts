import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { restFixture, type RestFixture } from './rest-fixture';

// POST /api/gc: an action (a token, a valid body), answered with the collection's report once it is done. The
// collector is the real one, on the fixture's data dir; only Temporal (the workflow around it) is left out.

let f: RestFixture;
const stray = () => path.join(f.dataDir, 'store', 'e'.repeat(64));

beforeAll(async () => {
  f = await restFixture();
  fs.mkdirSync(path.dirname(stray()), { recursive: true });
  fs.writeFileSync(stray(), 'an upload never recorded');
  const old = new Date(Date.now() - 3 * 86_400_000);
  fs.utimesSync(stray(), old, old);
});

const post = (payload?: unknown, headers = f.auth) => f.app.inject({ method: 'POST', url: '/api/gc', headers, ...(payload === undefined ? {} : { payload: payload as object }) });

describe('POST /api/gc', () => {
  it('needs a token', async () => {
    const res = await post({ dryRun: true }, {} as typeof f.auth);
    expect(res.statusCode).toBe(401);
    expect(f.control.callsOf('collectGarbage')).toEqual([]);
  });

  it('refuses a body it does not know', async () => {
    expect((await post({ dryRun: 'yes' })).statusCode).toBe(400);
    expect((await post({ everything: true })).statusCode).toBe(400);
  });

  it('with dryRun says what would go and removes nothing; without, removes it', async () => {
    const dry = await post({ dryRun: true });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({ dryRun: true, runningPushes: 0, categories: { store: { count: 1, bytes: 24, examples: [`store/${'e'.repeat(64)}`] } } });
    expect(fs.existsSync(stray())).toBe(true);
    const real = await post();
    expect(real.statusCode).toBe(200);
    expect(real.json()).toMatchObject({ dryRun: false, categories: { store: { count: 1 } } });
    expect(fs.existsSync(stray())).toBe(false);
    expect(f.control.callsOf('collectGarbage')).toEqual([[true], [false]]);
  });
});
