// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text exposition format
// (version 0.0.4). Pure: no I/O, no globals; each process makes its own registry and serves it.

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export type LabelValues<L extends string> = Readonly<Record<L, string>>;

export interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labels?: readonly L[];
}

export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds, strictly increasing; `+Inf` is always added. */
  buckets: readonly number[];
}

/** `\`, `"` and newline are the only characters a label value escapes. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes `\` and newline (quotes stay as they are). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(pairs: ReadonlyArray<readonly [string, string]>): string {
  if (pairs.length === 0) return '';
  return `{${pairs.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

abstract class Metric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  /** Keyed by the JSON of the label values, in declared order. */
  protected readonly series = new Map<string, { values: string[]; state: S }>();

  constructor(options: MetricOptions<L>, reserved: readonly string[] = []) {
    if (!METRIC_NAME.test(options.name)) throw new Error(`invalid metric name ${JSON.stringify(options.name)}`);
    const labels = options.labels ?? [];
    for (const label of labels) {
      if (!LABEL_NAME.test(label) || label.startsWith('__') || reserved.includes(label)) {
        throw new Error(`invalid label name ${JSON.stringify(label)} on ${options.name}`);
      }
    }
    if (new Set(labels).size !== labels.length) throw new Error(`duplicate label names on ${options.name}`);
    this.name = options.name;
    this.help = options.help;
    this.labelNames = labels;
  }

  protected abstract initial(): S;

  /** The series of these label values, made on first use. Exactly the declared labels, each a string. */
  protected at(labels: LabelValues<L>): S {
    const given = Object.keys(labels);
    if (given.length !== this.labelNames.length || this.labelNames.some((l) => typeof labels[l] !== 'string')) {
      throw new Error(`${this.name} takes labels {${this.labelNames.join(', ')}}, got {${given.join(', ')}}`);
    }
    const values = this.labelNames.map((l) => labels[l]);
    const key = JSON.stringify(values);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { values, state: this.initial() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  /** Series in a stable order; a metric without labels always has its one series (at 0 until used). */
  protected sorted(): Array<{ pairs: Array<readonly [string, string]>; state: S }> {
    if (this.labelNames.length === 0 && this.series.size === 0) this.at({} as LabelValues<L>);
    return [...this.series.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, { values, state }]) => ({ pairs: this.labelNames.map((l, i) => [l, values[i]] as const), state }));
  }

  /** Forget every series (a gauge recomputed at each scrape starts from nothing). */
  reset(): void {
    this.series.clear();
  }

  render(): string[] {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()];
  }

  protected abstract samples(): string[];
}

export class Counter<L extends string = never> extends Metric<L, { value: number }> {
  readonly type = 'counter';

  protected initial() { return { value: 0 }; }

  inc(labels: LabelValues<L> = {} as LabelValues<L>, by = 1): void {
    if (!(by >= 0) || !Number.isFinite(by)) throw new Error(`${this.name}: a counter only goes up (got ${by})`);
    this.at(labels).value += by;
  }

  get(labels: LabelValues<L> = {} as LabelValues<L>): number {
    return this.at(labels).value;
  }

  protected samples(): string[] {
    return this.sorted().map(({ pairs, state }) => `${this.name}${formatLabels(pairs)} ${formatValue(state.value)}`);
  }
}

export class Gauge<L extends string = never> extends Metric<L, { value: number }> {
  readonly type = 'gauge';

  protected initial() { return { value: 0 }; }

  set(labels: LabelValues<L>, value: number): void {
    this.at(labels).value = value;
  }

  inc(labels: LabelValues<L> = {} as LabelValues<L>, by = 1): void {
    this.at(labels).value += by;
  }

  dec(labels: LabelValues<L> = {} as LabelValues<L>, by = 1): void {
    this.at(labels).value -= by;
  }

  get(labels: LabelValues<L> = {} as LabelValues<L>): number {
    return this.at(labels).value;
  }

  protected samples(): string[] {
    return this.sorted().map(({ pairs, state }) => `${this.name}${formatLabels(pairs)} ${formatValue(state.value)}`);
  }
}

interface HistogramState {
  /** Per bucket, not cumulative: rendering accumulates. */
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram<L extends string = never> extends Metric<L, HistogramState> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];

  constructor(options: HistogramOptions<L>) {
    super(options, ['le']);
    const buckets = options.buckets.filter((b) => b !== Infinity);
    if (buckets.length === 0) throw new Error(`${options.name}: a histogram needs at least one finite bucket`);
    for (let i = 0; i < buckets.length; i++) {
      if (!Number.isFinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1])) {
        throw new Error(`${options.name}: buckets must be finite and strictly increasing`);
      }
    }
    this.buckets = buckets;
  }

  protected initial(): HistogramState {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }

  observe(labels: LabelValues<L>, value: number): void {
    if (Number.isNaN(value)) return;
    const state = this.at(labels);
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) state.counts[i]++;
    state.sum += value;
    state.count++;
  }

  /** Count and sum of one series, for tests and summaries. */
  get(labels: LabelValues<L> = {} as LabelValues<L>): { count: number; sum: number } {
    const { count, sum } = this.at(labels);
    return { count, sum };
  }

  protected samples(): string[] {
    const lines: string[] = [];
    for (const { pairs, state } of this.sorted()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += state.counts[i];
        lines.push(`${this.name}_bucket${formatLabels([...pairs, ['le', formatValue(bound)]])} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${formatLabels([...pairs, ['le', '+Inf']])} ${state.count}`);
      lines.push(`${this.name}_sum${formatLabels(pairs)} ${formatValue(state.sum)}`);
      lines.push(`${this.name}_count${formatLabels(pairs)} ${state.count}`);
    }
    return lines;
  }
}

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

/** The metrics of one process. Collectors run before each rendering (gauges computed at scrape time). */
export class Registry {
  private readonly metrics = new Map<string, AnyMetric>();
  private readonly collectors: Array<() => void | Promise<void>> = [];

  counter<L extends string = never>(options: MetricOptions<L>): Counter<L> {
    return this.add(new Counter<L>(options));
  }

  gauge<L extends string = never>(options: MetricOptions<L>): Gauge<L> {
    return this.add(new Gauge<L>(options));
  }

  histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    return this.add(new Histogram<L>(options));
  }

  /** Run `collect` before every rendering: it sets gauges from the world (memory, files on disk). */
  onCollect(collect: () => void | Promise<void>): void {
    this.collectors.push(collect);
  }

  /** The text exposition format: one `# HELP`, one `# TYPE` and the samples per metric, in registration order. */
  async render(): Promise<string> {
    for (const collect of this.collectors) await collect();
    const lines = [...this.metrics.values()].flatMap((m) => m.render());
    return lines.length === 0 ? '' : lines.join('\n') + '\n';
  }

  private add<M extends AnyMetric>(metric: M): M {
    // Histograms also own <name>_bucket, _sum and _count: no other metric may take those names.
    const names = metric.type === 'histogram' ? ['', '_bucket', '_sum', '_count'].map((s) => metric.name + s) : [metric.name];
    for (const name of names) {
      if (this.metrics.has(name) || [...this.metrics.values()].some((m) => m.type === 'histogram' && [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`].includes(name))) {
        throw new Error(`metric ${name} is already registered`);
      }
    }
    this.metrics.set(metric.name, metric);
    return metric;
  }
}
