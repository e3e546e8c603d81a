import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildMetrics, initBuildMetrics, processMetrics } from '../../domain/observability/kiln-metrics';
import { Registry } from '../../domain/observability/metrics';
import { metricsListenAddress, startMetricsServer, type MetricsServer } from '../../workers/lib/metrics-server';
import { freePort } from '../helpers/ports';
import { parsePrometheusText, sampleValue } from './prometheus-text';

describe('metricsListenAddress', () => {
  it('is off unless asked for; the flag wins over the environment', () => {
    expect(metricsListenAddress(undefined, undefined)).toBeUndefined();
    expect(metricsListenAddress(undefined, '')).toBeUndefined();
    expect(metricsListenAddress(undefined, '9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(metricsListenAddress('9500', '9464')).toEqual({ host: '127.0.0.1', port: 9500 });
    expect(metricsListenAddress('0.0.0.0:9464', undefined)).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(metricsListenAddress('[::1]:9464', undefined)).toEqual({ host: '::1', port: 9464 });
  });

  it('rejects what is not [host:]port', () => {
    for (const bad of ['abc', '70000', 'host:', ':80', '1.2.3.4:x', '9464 extra']) {
      expect(() => metricsListenAddress(bad, undefined), bad).toThrow(/CONFIG_INVALID|expected \[host:\]port/);
    }
  });
});

describe('a worker\'s metrics listener', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => { await server?.close(); server = undefined; });

  it('serves the registry on GET /metrics at the port asked for, and nothing else', async () => {
    const registry = new Registry();
    processMetrics(registry);
    const metrics = buildMetrics(registry);
    initBuildMetrics(metrics, 'amd64');
    metrics.builds.inc({ arch: 'amd64', state: 'succeeded' });
    const port = await freePort();
    server = await startMetricsServer(registry, { host: '127.0.0.1', port });
    expect(server.url).toBe(`http://127.0.0.1:${port}/metrics`);

    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusText(await res.text());
    expect(sampleValue(families, 'kiln_builds_total', { arch: 'amd64', state: 'succeeded' })).toBe(1);
    expect(sampleValue(families, 'kiln_builds_in_progress', { arch: 'amd64' })).toBe(0);

    // A second scrape sees the change.
    metrics.inProgress.inc({ arch: 'amd64' });
    expect(sampleValue(parsePrometheusText(await (await fetch(server.url)).text()), 'kiln_builds_in_progress', { arch: 'amd64' })).toBe(1);

    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(404);
    const head = await fetch(server.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers 500 (not a crash) when a collector fails', async () => {
    const registry = new Registry();
    registry.onCollect(() => { throw new Error('disk gone'); });
    server = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 });
    const res = await fetch(server.url);
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/disk gone/);
  });

  it('fails with a clear error when the port is taken', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', () => resolve()));
    try {
      await expect(startMetricsServer(new Registry(), { host: '127.0.0.1', port })).rejects.toThrow(new RegExp(`cannot serve metrics on 127.0.0.1:${port}: EADDRINUSE`));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('closes promptly even with a keep-alive scraper connected', async () => {
    server = await startMetricsServer(new Registry(), { host: '127.0.0.1', port: 0 });
    await fetch(server.url, { keepalive: true });
    const started = Date.now();
    await server.close();
    server = undefined;
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
