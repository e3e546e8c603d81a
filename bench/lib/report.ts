// How every benchmark reports: one line per figure, `bench <id>: <figure> = <value> <unit>; goal <op> <value>: PASS|FAIL`,
// so a run's output can be read by a person and grepped by a script alike.

export type GoalOp = '<' | '<=' | '>' | '>=';

export interface Goal {
  op: GoalOp;
  value: number;
}

export interface Figure {
  bench: string;
  name: string;
  value: number;
  unit: string;
  goal?: Goal;
  pass?: boolean;
}

const figures: Figure[] = [];

function holds(value: number, goal: Goal): boolean {
  switch (goal.op) {
    case '<': return value < goal.value;
    case '<=': return value <= goal.value;
    case '>': return value > goal.value;
    case '>=': return value >= goal.value;
  }
}

/** Significant digits for people: 3 for small numbers, whole numbers for large ones. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  return Number(value.toPrecision(3)).toString();
}

/** Print one figure (and record it for the summary); with a goal, say whether it holds. */
export function figure(bench: string, name: string, value: number, unit: string, goal?: Goal): Figure {
  const pass = goal ? holds(value, goal) : undefined;
  const line = `bench ${bench}: ${name} = ${formatValue(value)}${unit ? ` ${unit}` : ''}`
    + (goal ? `; goal ${goal.op} ${formatValue(goal.value)}: ${pass ? 'PASS' : 'FAIL'}` : '');
  console.log(line);
  const f = { bench, name, value, unit, goal, pass };
  figures.push(f);
  return f;
}

/** A line of context that is not a figure (what is being set up, what a figure means). */
export function note(bench: string, text: string): void {
  console.log(`bench ${bench}: # ${text}`);
}

export function recordedFigures(): readonly Figure[] {
  return figures;
}

/** Milliseconds of `work`, with its result. */
export async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

/** The median of a list of numbers (benchmarks repeat a step and report its median). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The p-th percentile (0–100) by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}
