// ANSI styles for the terminal view of `npm start`. Every helper takes `on`: colour is decided once (a terminal,
// no NO_COLOR) and the same code renders plain text for a pipe.

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;

export type Style = keyof typeof CODES;

export function paint(on: boolean, style: Style, text: string): string {
  if (!on || text === '') return text;
  const [open, close] = CODES[style];
  return `\x1b[${open}m${text}\x1b[${close}m`;
}
