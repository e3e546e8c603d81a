// The result boundary's one error, for every format: a build handed back something Kiln will not take. It is the
// build's doing, so it fails that build once (BuildResultRejected), never retried as infrastructure.

export class ResultRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultRejected';
  }
}

/** A result file's name: no `/`, no control character or space, no leading dot, bounded length. */
export const RESULT_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9+_.~@:-]{0,199}$/;

/** Quoted for an error message: control characters escaped, long values cut. */
export function quoteUntrusted(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}
