// A strict reader of the Prometheus text format (0.0.4), for tests: it rejects anything a scraper might choke on.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(${LABEL}=${LABEL_VALUE}(?:,${LABEL}=${LABEL_VALUE})*)\\})? (\\S+)$`);
const PAIR = new RegExp(`(${LABEL})=(${LABEL_VALUE})`, 'g');
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|Inf)|NaN)$/;

function unescape(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(text: string): number {
  if (!VALUE.test(text)) throw new Error(`bad value ${text}`);
  if (text === 'NaN') return NaN;
  if (/^[+-]?Inf$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

/** Families in order; throws on any malformed line, a sample outside its family, or a histogram that does not add up. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the text must end with a newline');
  const families = new Map<string, Family>();
  let current: Family | undefined;
  let pendingHelp: { name: string; help: string } | undefined;
  for (const line of text.split('\n').slice(0, -1)) {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line))) {
      if (families.has(m[1]) || pendingHelp) throw new Error(`HELP out of place: ${line}`);
      if (!/^(?:[^\\]|\\[\\n])*$/.test(m[2])) throw new Error(`bad escape in HELP: ${line}`);
      pendingHelp = { name: m[1], help: m[2].replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) };
    } else if ((m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram)$`).exec(line))) {
      if (!pendingHelp || pendingHelp.name !== m[1] || families.has(m[1])) throw new Error(`TYPE without its HELP: ${line}`);
      current = { name: m[1], help: pendingHelp.help, type: m[2] as Family['type'], samples: [] };
      families.set(m[1], current);
      pendingHelp = undefined;
    } else if ((m = SAMPLE.exec(line))) {
      if (!current) throw new Error(`sample before any TYPE: ${line}`);
      const [, name, labelText, valueText] = m;
      const allowed = current.type === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => current!.name + s) : [current.name];
      if (!allowed.includes(name)) throw new Error(`sample ${name} outside its family ${current.name}`);
      const labels: Record<string, string> = {};
      for (const pair of (labelText ?? '').matchAll(PAIR)) {
        if (pair[1] in labels) throw new Error(`duplicate label ${pair[1]}: ${line}`);
        labels[pair[1]] = unescape(pair[2]);
      }
      current.samples.push({ name, labels, value: parseValue(valueText) });
    } else {
      throw new Error(`not a valid exposition line: ${JSON.stringify(line)}`);
    }
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function checkHistogram(family: Family): void {
  const series = new Map<string, Sample[]>();
  for (const s of family.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const samples of series.values()) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
    const count = samples.find((s) => s.name.endsWith('_count'));
    const sum = samples.find((s) => s.name.endsWith('_sum'));
    if (!count || !sum || buckets.length === 0) throw new Error(`${family.name}: a series lacks buckets, _sum or _count`);
    let previousLe = -Infinity;
    let previous = 0;
    for (const b of buckets) {
      const le = parseValue(b.labels.le);
      if (!(le > previousLe)) throw new Error(`${family.name}: le values not increasing`);
      if (b.value < previous) throw new Error(`${family.name}: buckets not cumulative`);
      previousLe = le;
      previous = b.value;
    }
    if (buckets[buckets.length - 1].labels.le !== '+Inf') throw new Error(`${family.name}: no +Inf bucket`);
    if (buckets[buckets.length - 1].value !== count.value) throw new Error(`${family.name}: +Inf bucket differs from _count`);
  }
}

/** The value of the one sample named `name` whose labels include `labels`. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length) return s.value;
    }
  }
  return undefined;
}
