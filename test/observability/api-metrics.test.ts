import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { metricsRoutes } from '../../api/routes/metrics';
import { parseConfig, type KilnConfig } from '../../domain/config';
import { DataLayout, type PushRef } from '../../domain/data-layout';
import type { PushStatus } from '../../domain/push';
import { parsePrometheusText, sampleValue } from './prometheus-text';

const COMMIT_A = 'a'.repeat(40);
const COMMIT_B = 'b'.repeat(40);

function record(push: PushRef, state: PushStatus['state'], builds: Array<[string, string, PushStatus['builds'][number]['state'], boolean?]>): PushStatus {
  return {
    workflowId: `push/${push.tree}/${push.branch}/${push.commit}`,
    push,
    state,
    requestedBy: 'test',
    startedAt: 1,
    arches: [],
    builds: builds.map(([source, arch, buildState, cached]) => ({
      id: `${source}/${arch}`, source, version: '1.0-1', arch, state: buildState, attempt: 1, log: `logs/${source}/${arch}.log`,
      ...(cached !== undefined ? { cached } : {}),
    })),
  };
}

describe('GET /metrics on the API', () => {
  let dataDir: string;
  let config: KilnConfig;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-metrics-'));
    config = parseConfig([
      `dataDir: ${dataDir}`,
      'trees:',
      '  - { name: ports, url: /srv/ports, format: deb, distribution: bookworm, branches: [main, release/1.x], architectures: [amd64, i386] }',
    ].join('\n'), dataDir, {});
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  function write(file: string, content: unknown): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  }

  async function scrape() {
    const app = Fastify();
    await app.register(metricsRoutes, { config });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    await app.close();
    return res;
  }

  it('counts pushes and builds by state and arch from the push records, ignoring plans and temp files', async () => {
    const layout = new DataLayout(dataDir);
    const a: PushRef = { tree: 'ports', branch: 'main', commit: COMMIT_A };
    const b: PushRef = { tree: 'ports', branch: 'release/1.x', commit: COMMIT_B };
    write(layout.pushRecord(a), record(a, 'succeeded', [
      ['hello', 'amd64', 'succeeded', false], ['hello', 'i386', 'succeeded', true], ['tool', 'amd64', 'succeeded', true],
    ]));
    write(layout.pushRecord(b), record(b, 'failed', [
      ['hello', 'amd64', 'failed'], ['tool', 'amd64', 'blocked'], ['hello', 'i386', 'succeeded', false],
    ]));
    // Not records: the plan beside a record, an atomic-write temp file, and a file that is not JSON at all.
    write(layout.pushPlan(a), { push: a, builds: [{ id: 'x', arch: 'amd64' }] });
    write(`${path.dirname(layout.pushRecord(a))}/.${COMMIT_A}.json.123.abcd.tmp`, '{');
    write(path.join(dataDir, 'records', 'ports', 'main', `${'c'.repeat(40)}.json`), 'not json');

    const res = await scrape();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusText(res.body);
    expect(families.get('kiln_push_builds')!.type).toBe('gauge');
    expect(sampleValue(families, 'kiln_pushes', { tree: 'ports', state: 'succeeded' })).toBe(1);
    expect(sampleValue(families, 'kiln_pushes', { tree: 'ports', state: 'failed' })).toBe(1);
    const builds = (arch: string, state: string) => sampleValue(families, 'kiln_push_builds', { tree: 'ports', arch, state });
    expect(builds('amd64', 'succeeded')).toBe(1);
    expect(builds('amd64', 'cached')).toBe(1);
    expect(builds('amd64', 'failed')).toBe(1);
    expect(builds('amd64', 'blocked')).toBe(1);
    expect(builds('i386', 'succeeded')).toBe(1);
    expect(builds('i386', 'cached')).toBe(1);
    expect(families.get('kiln_push_builds')!.samples).toHaveLength(6);
    expect(sampleValue(families, 'kiln_push_records_unreadable')).toBe(1);
    expect(sampleValue(families, 'process_start_time_seconds')).toBeGreaterThan(1_600_000_000);
  });

  it('follows records as they change and disappear between scrapes', async () => {
    const layout = new DataLayout(dataDir);
    const a: PushRef = { tree: 'ports', branch: 'main', commit: COMMIT_A };
    const app = Fastify();
    await app.register(metricsRoutes, { config });
    const get = async () => parsePrometheusText((await app.inject({ method: 'GET', url: '/metrics' })).body);

    write(layout.pushRecord(a), record(a, 'building', [['hello', 'amd64', 'waiting']]));
    let families = await get();
    expect(sampleValue(families, 'kiln_push_builds', { tree: 'ports', arch: 'amd64', state: 'waiting' })).toBe(1);

    write(layout.pushRecord(a), record(a, 'publishing', [['hello', 'amd64', 'succeeded', false]]));
    families = await get();
    expect(sampleValue(families, 'kiln_push_builds', { tree: 'ports', arch: 'amd64', state: 'waiting' })).toBeUndefined();
    expect(sampleValue(families, 'kiln_push_builds', { tree: 'ports', arch: 'amd64', state: 'succeeded' })).toBe(1);
    expect(sampleValue(families, 'kiln_pushes', { tree: 'ports', state: 'publishing' })).toBe(1);

    fs.rmSync(layout.pushRecord(a));
    families = await get();
    expect(families.get('kiln_pushes')!.samples).toHaveLength(0);
    await app.close();
  });

  it('answers with zero pushes when nothing was ever pushed (no records dir)', async () => {
    const res = await scrape();
    expect(res.statusCode).toBe(200);
    const families = parsePrometheusText(res.body);
    expect(families.get('kiln_pushes')!.samples).toEqual([]);
    expect(sampleValue(families, 'kiln_push_records_unreadable')).toBe(0);
  });

  it('takes a guard (the API\'s read guard when reads require a token)', async () => {
    const app = Fastify();
    await app.register(metricsRoutes, {
      config,
      guard: async (request, reply) => {
        if (request.headers.authorization !== 'Bearer good') await reply.status(401).send({ error: 'no' });
      },
    });
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer good' } });
    expect(res.statusCode).toBe(200);
    parsePrometheusText(res.body);
    await app.close();
  });
});

