import type { Tone } from './format';
import { escapeHtml } from './html';

// A status badge in the common "label | message" look (flat, 20 px high), as SVG with its text for screen readers.

const COLOURS: Record<Tone, string> = { ok: '#2ea043', active: '#007ec6', bad: '#e05d44', warn: '#dfb317', idle: '#9f9f9f' };
const LABEL_COLOUR = '#555';

/** Rough advance widths of Verdana 11px, enough to size the boxes. */
function textWidth(text: string): number {
  let width = 0;
  for (const c of text) {
    if (/[fijlrt.,:;!|'()[\] ]/.test(c)) width += 3.9;
    else if (/[mwMW%@]/.test(c)) width += 10;
    else if (/[A-Z#]/.test(c)) width += 7.6;
    else width += 6.8;
  }
  return Math.ceil(width);
}

export function badgeSvg(label: string, message: string, tone: Tone): string {
  const lw = textWidth(label) + 10;
  const mw = textWidth(message) + 10;
  const w = lw + mw;
  const [l, m, both] = [escapeHtml(label), escapeHtml(message), escapeHtml(`${label}: ${message}`)];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${both}">`
    + `<title>${both}</title>`
    + '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
    + `<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>`
    + `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="${LABEL_COLOUR}"/><rect x="${lw}" width="${mw}" height="20" fill="${COLOURS[tone]}"/>`
    + `<rect width="${w}" height="20" fill="url(#s)"/></g>`
    + '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
    + `<text x="${lw / 2}" y="15" fill="#010101" fill-opacity=".3">${l}</text><text x="${lw / 2}" y="14">${l}</text>`
    + `<text x="${lw + mw / 2}" y="15" fill="#010101" fill-opacity=".3">${m}</text><text x="${lw + mw / 2}" y="14">${m}</text>`
    + '</g></svg>\n';
}
