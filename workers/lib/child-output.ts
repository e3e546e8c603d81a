import type { LogOutput } from './log-format';
import { renderChildLine, renderNote } from './log-render';
import { ProcessLogFiles, type LineStream } from './log-sink';
import { labelled } from './supervisor';

// Where the supervised processes' lines go under `npm start`: every line to its process's file in data/logs/, and
// to the terminal rendered (text) or as it was printed behind the process's name (json, the output before text).

export interface ChildOutput {
  line(processName: string, line: string, stream: LineStream): void;
  note(processName: string, text: string): void;
  close(): void;
}

export function childOutput(options: LogOutput & { logsDir: string; out: (line: string) => void; report?: (message: string) => void }): ChildOutput {
  const { format, color, out } = options;
  const files = new ProcessLogFiles(options.logsDir, { report: options.report });
  return {
    line(processName, line, stream) {
      files.write(processName, line, stream);
      if (format === 'json') return out(labelled(processName, line));
      const rendered = renderChildLine(processName, line, { color, stream });
      if (rendered !== undefined) out(rendered);
    },
    note(processName, text) {
      files.note(processName, text);
      out(format === 'json' ? labelled(processName, text) : renderNote(processName, text, { color }));
    },
    close: () => files.close(),
  };
}
