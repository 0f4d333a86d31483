import type { PDFFont } from "pdf-lib";

/**
 * `text` as the font can print it: the report's font (`./fonts.ts`) covers Latin, Greek, Cyrillic
 * and more; a character it has no glyph for (CJK, say) prints as `?` rather than as an empty box,
 * and control characters as spaces.
 */
export function printable(font: PDFFont, text: string): string {
  const supported = charsets.get(font) ?? new Set(font.getCharacterSet());
  charsets.set(font, supported);
  let out = "";
  for (const char of text.replace(/[\r\n\t\f\v]+/g, " ")) {
    out += supported.has(char.codePointAt(0) as number) ? char : "?";
  }
  return out;
}
const charsets = new WeakMap<PDFFont, Set<number>>();

/** `text` cut with an ellipsis to fit `maxWidth` points. */
export function fitted(font: PDFFont, text: string, size: number, maxWidth: number): string {
  const clean = printable(font, text);
  if (font.widthOfTextAtSize(clean, size) <= maxWidth) return clean;
  let low = 0;
  let high = clean.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (font.widthOfTextAtSize(`${clean.slice(0, mid)}...`, size) <= maxWidth) low = mid;
    else high = mid - 1;
  }
  return `${clean.slice(0, low)}...`;
}

/** Word-wrapped lines of `text` within `maxWidth` points (over-long words are cut). */
export function wrapped(font: PDFFont, text: string, size: number, maxWidth: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\r?\n/)) {
    let line = "";
    for (const word of printable(font, paragraph).split(" ")) {
      const candidate = line ? `${line} ${word}` : word;
      if (font.widthOfTextAtSize(candidate, size) <= maxWidth) line = candidate;
      else {
        if (line) lines.push(line);
        line = fitted(font, word, size, maxWidth);
      }
    }
    lines.push(line);
  }
  return lines;
}
