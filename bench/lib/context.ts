/** What every benchmark gets from the runner. */
export interface BenchContext {
  /** `--quick`: the short version (smaller sizes, fewer runs), under 5 minutes in all. */
  quick: boolean;
  /** `--sizes 1000,20000`: the repository sizes for benchmarks that take them, instead of their own. */
  sizes?: number[];
  /** A scratch directory of this run, removed at its end. */
  tmp: string;
}
