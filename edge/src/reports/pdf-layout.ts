import { type PDFDocument, type PDFFont, type PDFPage, rgb } from "pdf-lib";
import type { ReportInput } from "./report-input";
import { fitted, printable, wrapped } from "./text";

/** Page geometry, colours and the text cursor shared by the report's page builders. */

/** A4 portrait, in points. */
export const PAGE = { width: 595.28, height: 841.89 };
export const MARGIN = 40;
export const CONTENT_WIDTH = PAGE.width - 2 * MARGIN;
/** Room the radiograph may take on its page; the table follows below it. */
export const IMAGE_MAX_HEIGHT = 380;
export const FOOTER_Y = 24;
export const ROW_HEIGHT = 13;

/**
 * Box colours by review decision. Rejected indications are listed in the table but not drawn:
 * the drawing shows the reviewed set.
 */
export const DECISION_COLOURS = {
  accepted: rgb(1, 0, 0),
  pending: rgb(1, 0.55, 0),
} as const;
export const INK = rgb(0.1, 0.1, 0.1);
export const MUTED = rgb(0.4, 0.4, 0.4);
export const RULE = rgb(0.75, 0.75, 0.75);

export type Fonts = { regular: PDFFont; bold: PDFFont };

/** Writes top-down on the current page, starting a new one when the page is full. */
export class Writer {
  page!: PDFPage;
  y = 0;
  constructor(
    readonly doc: PDFDocument,
    readonly fonts: Fonts,
  ) {}

  newPage(): void {
    this.page = this.doc.addPage([PAGE.width, PAGE.height]);
    this.y = PAGE.height - MARGIN;
  }

  /** Starts a new page when fewer than `height` points are left above the footer. */
  ensure(height: number): boolean {
    if (this.y - height >= MARGIN + 10) return false;
    this.newPage();
    return true;
  }

  text(
    value: string,
    x: number,
    size: number,
    options: { bold?: boolean; colour?: typeof INK; maxWidth?: number } = {},
  ) {
    const font = options.bold ? this.fonts.bold : this.fonts.regular;
    const text = fitted(font, value, size, options.maxWidth ?? CONTENT_WIDTH - (x - MARGIN));
    this.page.drawText(text, { x, y: this.y, size, font, color: options.colour ?? INK });
  }

  line(value: string, size = 10, options: { bold?: boolean; colour?: typeof INK } = {}) {
    this.ensure(size + 4);
    this.y -= size + 3;
    this.text(value, MARGIN, size, options);
  }

  /** `value` word-wrapped over as many lines as it needs, from `indent` points in. */
  paragraph(value: string, size = 9, options: { bold?: boolean; colour?: typeof INK; indent?: number } = {}) {
    const indent = options.indent ?? 0;
    const font = options.bold ? this.fonts.bold : this.fonts.regular;
    for (const line of wrapped(font, value, size, CONTENT_WIDTH - indent)) {
      this.ensure(size + 4);
      this.y -= size + 3;
      this.text(line, MARGIN + indent, size, options);
    }
  }

  rule() {
    this.y -= 6;
    this.page.drawLine({
      start: { x: MARGIN, y: this.y },
      end: { x: PAGE.width - MARGIN, y: this.y },
      thickness: 0.5,
      color: RULE,
    });
  }

  /** One table row; `columns` are [x offset, width] pairs. */
  row(
    cells: string[],
    columns: Array<[number, number]>,
    options: { bold?: boolean; colour?: typeof INK } = {},
  ) {
    this.y -= ROW_HEIGHT;
    cells.forEach((cell, i) => {
      const [x, width] = columns[i] as [number, number];
      this.text(cell, MARGIN + x, 8, { ...options, maxWidth: width - 4 });
    });
  }
}

/** "<number> · page i of n" at the foot of every page, once all pages exist. */
export function footers(doc: PDFDocument, fonts: Fonts, input: ReportInput): void {
  const pages = doc.getPages();
  pages.forEach((page, i) => {
    page.drawText(printable(fonts.regular, `${input.number} · page ${i + 1} of ${pages.length}`), {
      x: MARGIN,
      y: FOOTER_Y,
      size: 7,
      font: fonts.regular,
      color: MUTED,
    });
  });
}
