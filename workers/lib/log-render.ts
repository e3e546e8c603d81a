import { paint } from './ansi';
import { errorMessage, levelRank, parseLogLine, type Level, type LogEntry } from './log-entry';

// The terminal view of `npm start`: one short line per push, build and publish event instead of the JSON the
// processes log (that JSON is kept whole in data/logs/<process>.log). Pure: a line and `now` always render alike.
//
//   14:02:07 orchestrator  push planned  example/main@3f2a9c1d0b7e
//   14:02:19 build-amd64   build finished  example/main@3f2a9c1d0b7e kiln-hello/amd64  11.6 s
//   14:02:20 build-i386    WARN runBuild failed  example/main@3f2a9c1d0b7e kiln-hello/i386  attempt 2: exit status 2
//
// Shown: our own lines at INFO and above, warnings and errors always. Hidden at INFO: bookkeeping activities, the
// blob exchange and fastify's per-request lines (they come with every page the web UI polls).

export interface RenderOptions {
  color: boolean;
  /** Lowest level shown; default info. Warnings and errors are always shown. */
  minLevel?: Level;
  /** The time of a line that carries none (plain lines). */
  now?: Date;
  /** Where a plain line came from: the child's stderr is shown red (a failed start, a stack trace). */
  stream?: 'stdout' | 'stderr';
}

/** Width of the process column: `build-ppc64el` and a space. */
const PROCESS_WIDTH = 14;

/** Activities whose completion is a step of a bigger event (the record, the WIP repository, the snapshot's parts). */
const BOOKKEEPING = new Set([
  'writePushRecord', 'prepareBuild', 'recordBuild', 'addToWip', 'prepareInstallTest', 'recordInstallTest',
  'nextSnapshotNumber', 'publishedCommitCovering', 'assembleSnapshot', 'completeSnapshot', 'probeBuilder',
]);

/** The event a completed activity is, in the words of the push page. */
const COMPLETED: Record<string, string> = {
  planPush: 'push planned',
  runInstallTest: 'install test passed',
  signRelease: 'release signed',
  switchCurrent: 'snapshot published',
  publishToTarget: 'published to a target',
};

/** Our own INFO lines that are not events (each build uploads several blobs). */
const QUIET = new Set(['blob stored']);

function str(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Control characters of logged values (a branch name, an error text) never reach the terminal as such. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '?');
}

function clock(time: Date): string {
  return [time.getHours(), time.getMinutes(), time.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function shown(entry: LogEntry, minLevel: Level): boolean {
  const rank = levelRank(entry.level);
  if (rank >= levelRank('warn')) return true;
  if (rank < levelRank(minLevel)) return false;
  const { fields } = entry;
  if (entry.msg === 'activity completed' && BOOKKEEPING.has(str(fields.activityType) ?? '')) return false;
  // fastify's "incoming request" / "request completed" (they carry req or res) and its "Server listening at".
  if ('req' in fields || 'res' in fields || entry.msg.startsWith('Server listening at')) return false;
  return !QUIET.has(entry.msg);
}

function headline(entry: LogEntry): string {
  const type = str(entry.fields.activityType);
  if (!type) return entry.msg;
  if (entry.msg === 'activity completed') return COMPLETED[type] ?? `${type} completed`;
  if (entry.msg === 'Activity failed') return `${type} failed`;
  if (entry.msg === 'activity cancelled') return `${type} cancelled`;
  return entry.msg;
}

/** `tree/branch@commit12 snapshot N package/arch`, each part when known. */
export function compactContext(fields: Record<string, unknown>): string {
  const parts: string[] = [];
  const tree = str(fields.tree);
  const branch = str(fields.branch);
  const commit = str(fields.commit);
  if (tree) parts.push(`${tree}${branch ? `/${branch}` : ''}${commit ? `@${commit.slice(0, 12)}` : ''}`);
  else if (str(fields.push)) parts.push(str(fields.push)!);
  const snapshot = str(fields.snapshot);
  if (snapshot) parts.push(`snapshot ${snapshot}`);
  const where = [str(fields.package), str(fields.arch)].filter(Boolean).join('/');
  if (where) parts.push(where);
  return parts.join(' ');
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The few fields worth reading on a terminal; the rest is in the process's log file. */
function details(fields: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof fields.durationMs === 'number') parts.push(duration(fields.durationMs));
  if (typeof fields.attempt === 'number' && fields.attempt > 1) parts.push(`attempt ${fields.attempt}`);
  for (const key of ['code', 'reason'] as const) if (str(fields[key])) parts.push(str(fields[key])!);
  if (str(fields.by)) parts.push(`by ${str(fields.by)}`);
  return parts.join(', ');
}

function renderEntry(entry: LogEntry, color: boolean): string {
  const rank = levelRank(entry.level);
  const head = oneLine(`${rank >= levelRank('warn') ? `${entry.level.toUpperCase()} ` : ''}${headline(entry)}`);
  const context = oneLine(compactContext(entry.fields));
  const extra = oneLine(details(entry.fields));
  const error = errorMessage(entry.fields);
  const tail = error ? `: ${oneLine(error)}` : '';
  // Debug and trace: the whole line dim, below the events.
  if (rank < levelRank('info')) return paint(color, 'dim', [head, context, extra].filter(Boolean).join('  ') + tail);
  const style = rank >= levelRank('error') ? 'red' : rank >= levelRank('warn') ? 'yellow' : undefined;
  const body = [style ? paint(color, style, head) : head, context, paint(color, 'dim', extra)].filter(Boolean).join('  ');
  return body + paint(color, 'red', tail);
}

function label(process: string, time: Date, color: boolean): string {
  return `${paint(color, 'dim', clock(time))} ${paint(color, 'cyan', process.padEnd(PROCESS_WIDTH - 1))} `;
}

/**
 * The terminal line for one line `process` printed, or undefined when the terminal does not show it. Not a log
 * entry (a start line, a stack trace): as it is, behind the process label. Never throws.
 */
export function renderChildLine(process: string, line: string, options: RenderOptions): string | undefined {
  const { color } = options;
  const now = options.now ?? new Date();
  const plain = () => label(process, now, color) + (options.stream === 'stderr' ? paint(color, 'red', line) : line);
  try {
    const entry = parseLogLine(line);
    if (!entry) return plain();
    if (!shown(entry, options.minLevel ?? 'info')) return undefined;
    return label(process, entry.time ?? now, color) + renderEntry(entry, color);
  } catch {
    // A field no rendering expected (an object where a name should be): the line as it is, not a crash.
    return plain();
  }
}

/** The supervisor's own word about a process (it exited, it restarts): a warning in the same columns. */
export function renderNote(process: string, text: string, options: Pick<RenderOptions, 'color' | 'now'>): string {
  return label(process, options.now ?? new Date(), options.color) + paint(options.color, 'yellow', oneLine(text));
}
