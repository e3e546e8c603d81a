// deb822 paragraphs as debian/control writes them (Debian Policy 5.1): `Field: value`, continuation lines that start
// with a space or tab, ` .` for an empty line inside a value, `#` comment lines, blank lines between paragraphs.
import { KilnError } from '../../errors';

export interface Deb822Field {
  /** The name as written (field names compare case-insensitively; see `fieldOf`). */
  name: string;
  /**
   * The value's lines joined with `\n`: the first line trimmed (it may be empty when the value starts on the next
   * line), continuation lines without their leading space, ` .` read as an empty line.
   */
  value: string;
  /** 1-based source line of each line of `value`, so callers can point at the exact line of a problem. */
  lines: number[];
}

export interface Deb822Paragraph {
  /** 1-based line of the paragraph's first field. */
  line: number;
  /** Keyed by lowercase field name, in file order. */
  fields: ReadonlyMap<string, Deb822Field>;
}

function invalid(line: number, message: string): KilnError {
  return new KilnError('RECIPE_INVALID', `line ${line}: ${message}`, { line });
}

// Quoted for a log line: control characters escaped, a long line cut.
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}

// Any printable US-ASCII except colon and space, not starting with `#` or `-` (Policy 5.1).
const FIELD_NAME = /^[!-9;-~]+$/;

/** Parses every paragraph; throws a RECIPE_INVALID KilnError naming the line of the first problem. */
export function parseDeb822(text: string): Deb822Paragraph[] {
  const paragraphs: Deb822Paragraph[] = [];
  let fields: Map<string, Deb822Field> | undefined;
  let paragraphLine = 0;
  let current: Deb822Field | undefined;

  const endParagraph = () => {
    if (fields) paragraphs.push({ line: paragraphLine, fields });
    fields = undefined;
    current = undefined;
  };

  // A byte-order mark or CRLF line ends come from editors, not from the author's intent.
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    if (raw.trim() === '') {
      endParagraph();
      return;
    }
    // Comments may sit anywhere, even between continuation lines; they never end a field.
    if (raw.startsWith('#')) return;

    if (raw.startsWith(' ') || raw.startsWith('\t')) {
      if (!current) throw invalid(lineNo, 'continuation line without a field before it');
      const body = raw.slice(1).trimEnd();
      current.value += `\n${body.trim() === '.' ? '' : body}`;
      current.lines.push(lineNo);
      return;
    }

    const colon = raw.indexOf(':');
    if (colon < 0) throw invalid(lineNo, `expected "Field: value", got ${quote(raw.trim())}`);
    const name = raw.slice(0, colon);
    if (name === '') throw invalid(lineNo, 'field name is empty');
    if (!FIELD_NAME.test(name) || name.startsWith('-')) throw invalid(lineNo, `invalid field name "${name}"`);

    if (!fields) {
      fields = new Map();
      paragraphLine = lineNo;
    }
    const key = name.toLowerCase();
    const earlier = fields.get(key);
    if (earlier) throw invalid(lineNo, `duplicate field ${name} (first at line ${earlier.lines[0]})`);
    current = { name, value: raw.slice(colon + 1).trim(), lines: [lineNo] };
    fields.set(key, current);
  });
  endParagraph();
  return paragraphs;
}

/** The field of that name, whatever its case in the file. */
export function fieldOf(paragraph: Deb822Paragraph, name: string): Deb822Field | undefined {
  return paragraph.fields.get(name.toLowerCase());
}

/** The source line of a character offset in `field.value`. */
export function lineAt(field: Deb822Field, offset: number): number {
  const lineIndex = field.value.slice(0, offset).split('\n').length - 1;
  return field.lines[Math.min(lineIndex, field.lines.length - 1)];
}
