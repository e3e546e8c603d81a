import { describe, expect, it } from 'vitest';
import { buildMetrics, initBuildMetrics, processMetrics, publishMetrics, signerMetrics } from '../../domain/observability/kiln-metrics';
import { escapeHelp, escapeLabelValue, formatValue, Registry } from '../../domain/observability/metrics';
import { parsePrometheusText, sampleValue } from './prometheus-text';

describe('Prometheus registry', () => {
  it('renders counters and gauges with HELP, TYPE and sorted label sets', async () => {
    const registry = new Registry();
    const builds = registry.counter({ name: 'x_builds_total', help: 'Builds.', labels: ['arch', 'state'] });
    const running = registry.gauge({ name: 'x_running', help: 'Running now.' });
    builds.inc({ arch: 'i386', state: 'failed' });
    builds.inc({ arch: 'amd64', state: 'succeeded' }, 2);
    builds.inc({ arch: 'amd64', state: 'succeeded' });
    running.inc();
    running.inc();
    running.dec();
    expect(await registry.render()).toBe([
      '# HELP x_builds_total Builds.',
      '# TYPE x_builds_total counter',
      'x_builds_total{arch="amd64",state="succeeded"} 3',
      'x_builds_total{arch="i386",state="failed"} 1',
      '# HELP x_running Running now.',
      '# TYPE x_running gauge',
      'x_running 1',
      '',
    ].join('\n'));
  });

  it('renders histograms with cumulative buckets, +Inf, _sum and _count', async () => {
    const registry = new Registry();
    const h = registry.histogram({ name: 'x_seconds', help: 'Durations.', labels: ['arch'], buckets: [1, 5, 10] });
    for (const v of [0.5, 1, 3, 7, 12, 100]) h.observe({ arch: 'amd64' }, v);
    h.observe({ arch: 'arm64' }, 2);
    const text = await registry.render();
    expect(text).toContain([
      'x_seconds_bucket{arch="amd64",le="1"} 2',
      'x_seconds_bucket{arch="amd64",le="5"} 3',
      'x_seconds_bucket{arch="amd64",le="10"} 4',
      'x_seconds_bucket{arch="amd64",le="+Inf"} 6',
      'x_seconds_sum{arch="amd64"} 123.5',
      'x_seconds_count{arch="amd64"} 6',
    ].join('\n'));
    const families = parsePrometheusText(text);
    expect(families.get('x_seconds')!.type).toBe('histogram');
    expect(sampleValue(families, 'x_seconds_bucket', { arch: 'arm64', le: '1' })).toBe(0);
    expect(sampleValue(families, 'x_seconds_bucket', { arch: 'arm64', le: '5' })).toBe(1);
    expect(sampleValue(families, 'x_seconds_count', { arch: 'arm64' })).toBe(1);
  });

  it('a metric without labels shows its one series at 0 before any use', async () => {
    const registry = new Registry();
    registry.counter({ name: 'x_total', help: 'h' });
    registry.histogram({ name: 'x_wait_seconds', help: 'h', buckets: [0.1] });
    registry.gauge({ name: 'x_labelled', help: 'h', labels: ['tree'] });
    const text = await registry.render();
    expect(text).toContain('x_total 0\n');
    expect(text).toContain('x_wait_seconds_bucket{le="+Inf"} 0\nx_wait_seconds_sum 0\nx_wait_seconds_count 0\n');
    // A labelled metric with no series: HELP and TYPE only, still valid.
    expect(text).toContain('# TYPE x_labelled gauge\n');
    parsePrometheusText(text);
  });

  it('escapes label values and HELP text so a strict parser reads them back', async () => {
    const registry = new Registry();
    const tricky = 'a "quoted" back\\slash and\nnewline';
    registry.gauge({ name: 'x_info', help: 'Help with \\ and\nnewline and "quotes".', labels: ['branch'] }).set({ branch: tricky }, 1);
    const text = await registry.render();
    expect(text).toContain('x_info{branch="a \\"quoted\\" back\\\\slash and\\nnewline"} 1');
    expect(text).toContain('# HELP x_info Help with \\\\ and\\nnewline and "quotes".');
    const families = parsePrometheusText(text);
    expect(families.get('x_info')!.samples[0].labels.branch).toBe(tricky);
    expect(families.get('x_info')!.help).toBe('Help with \\ and\nnewline and "quotes".');
    expect(escapeLabelValue('\\"\n')).toBe('\\\\\\"\\n');
    expect(escapeHelp('"\\\n')).toBe('"\\\\\\n');
  });

  it('formats special values as Prometheus does', () => {
    expect(formatValue(Infinity)).toBe('+Inf');
    expect(formatValue(-Infinity)).toBe('-Inf');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(0.25)).toBe('0.25');
    expect(formatValue(1e-7)).toBe('1e-7');
  });

  it('rejects bad names, wrong labels, falling counters, bad buckets and duplicates', () => {
    const registry = new Registry();
    expect(() => registry.counter({ name: 'bad-name', help: 'h' })).toThrow(/invalid metric name/);
    expect(() => registry.counter({ name: 'x', help: 'h', labels: ['__reserved'] })).toThrow(/invalid label name/);
    expect(() => registry.histogram({ name: 'y', help: 'h', labels: ['le'], buckets: [1] })).toThrow(/invalid label name/);
    expect(() => registry.histogram({ name: 'z', help: 'h', buckets: [2, 1] })).toThrow(/strictly increasing/);
    const c = registry.counter({ name: 'c_total', help: 'h', labels: ['arch'] });
    expect(() => c.inc({ arch: 'amd64' }, -1)).toThrow(/only goes up/);
    expect(() => c.inc({ arch: 'amd64', extra: 'x' } as never)).toThrow(/takes labels/);
    expect(() => registry.gauge({ name: 'c_total', help: 'h' })).toThrow(/already registered/);
    registry.histogram({ name: 'h', help: 'h', buckets: [1] });
    expect(() => registry.counter({ name: 'h_count', help: 'h' })).toThrow(/already registered/);
  });

  it('runs collectors before each rendering', async () => {
    const registry = new Registry();
    const g = registry.gauge({ name: 'x_scrapes', help: 'h' });
    let n = 0;
    registry.onCollect(async () => { g.set({}, ++n); });
    expect(await registry.render()).toContain('x_scrapes 1\n');
    expect(await registry.render()).toContain('x_scrapes 2\n');
  });

  it('Kiln\'s metric sets render as valid exposition text with every state pre-initialized', async () => {
    const registry = new Registry();
    processMetrics(registry);
    const build = buildMetrics(registry);
    initBuildMetrics(build, 'amd64');
    signerMetrics(registry);
    publishMetrics(registry);
    build.queueWait.observe({ arch: 'amd64' }, 0.2);
    const families = parsePrometheusText(await registry.render());
    expect([...families.keys()]).toEqual([
      'process_start_time_seconds', 'process_resident_memory_bytes',
      'kiln_builds_total', 'kiln_build_duration_seconds', 'kiln_build_queue_wait_seconds', 'kiln_builds_in_progress',
      'kiln_signer_latency_seconds', 'kiln_sign_requests_total', 'kiln_publish_duration_seconds',
    ]);
    for (const state of ['succeeded', 'cached', 'failed', 'retrying', 'cancelled']) {
      expect(sampleValue(families, 'kiln_builds_total', { arch: 'amd64', state })).toBe(0);
    }
    expect(sampleValue(families, 'kiln_builds_in_progress', { arch: 'amd64' })).toBe(0);
    expect(sampleValue(families, 'kiln_build_queue_wait_seconds_count', { arch: 'amd64' })).toBe(1);
    expect(sampleValue(families, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('the test parser is strict (so the tests above prove something)', () => {
    const ok = '# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n';
    expect(() => parsePrometheusText(ok)).not.toThrow();
    expect(() => parsePrometheusText(ok.replace('le="1"} 1', 'le="1"} 3'))).toThrow(/cumulative/);
    expect(() => parsePrometheusText(ok.replace('h_count 2', 'h_count 5'))).toThrow(/\+Inf/);
    expect(() => parsePrometheusText(ok.replace('# TYPE h histogram\n', ''))).toThrow();
    expect(() => parsePrometheusText('# HELP g g\n# TYPE g gauge\ng{a="x"y"} 1\n')).toThrow(/not a valid/);
    expect(() => parsePrometheusText('# HELP g g\n# TYPE g gauge\ng{a="\\q"} 1\n')).toThrow(/not a valid/);
    expect(() => parsePrometheusText('# HELP g g\n# TYPE g gauge\nother 1\n')).toThrow(/outside its family/);
    expect(() => parsePrometheusText('# HELP g g\n# TYPE g gauge\ng 1')).toThrow(/newline/);
  });
});
