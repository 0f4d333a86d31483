import type { ReviewItem } from "../reviews/reviewed-set";
import {
  criterionText,
  type Field,
  OUTCOME_TEXT,
  personText,
  techniqueFields,
  weldFields,
} from "./document-text";
import { CONTENT_WIDTH, MARGIN, MUTED, PAGE, RULE, type Writer } from "./pdf-layout";
import type { ReportImage, ReportInput } from "./report-input";
import { printable, wrapped } from "./text";

const HEADER_LABELS: Array<[keyof ReportInput["header"], string]> = [
  ["customer", "Customer"],
  ["partId", "Part"],
  ["weldId", "Weld"],
  ["inspectionId", "Inspection"],
  ["inspectionMethod", "Method"],
  ["inspectionDate", "Inspection date"],
  // Free text of reports made before the structured technique and personnel; absent since.
  ["technique", "Technique"],
  ["inspector", "Inspector"],
  ["reviewer", "Reviewer"],
];

/** The reviewed set of an image: what is drawn and counted. */
const shown = (items: ReviewItem[]) => items.filter((item) => item.decision !== "rejected");

const COLUMN = CONTENT_WIDTH / 2;
const LABEL_WIDTH = 118;
const SIZE = 9;

/**
 * Label and value pairs, two to a row where both fit their half, else one to a row with the value
 * wrapped: nothing a person signs for is cut short.
 */
export function fieldGrid(w: Writer, fields: Field[]): void {
  const fits = ([label, value]: Field) =>
    w.fonts.bold.widthOfTextAtSize(printable(w.fonts.bold, `${label}:`), SIZE) <= LABEL_WIDTH - 4 &&
    w.fonts.regular.widthOfTextAtSize(printable(w.fonts.regular, value), SIZE) <= COLUMN - LABEL_WIDTH - 6;
  for (let i = 0; i < fields.length; ) {
    const pair = fields.slice(i, i + 2) as Field[];
    const twoUp = pair.length === 2 && pair.every(fits);
    const row = twoUp ? pair : pair.slice(0, 1);
    w.ensure(14);
    w.y -= 13;
    const top = w.y;
    let bottom = w.y;
    row.forEach(([label, value], column) => {
      const x = MARGIN + column * COLUMN;
      w.y = top;
      w.text(`${label}:`, x, SIZE, { bold: true, maxWidth: LABEL_WIDTH - 4 });
      const width = twoUp ? COLUMN - LABEL_WIDTH - 6 : CONTENT_WIDTH - LABEL_WIDTH;
      wrapped(w.fonts.regular, value, SIZE, width).forEach((line, index) => {
        if (index > 0) w.y -= 12;
        w.text(line, x + LABEL_WIDTH, SIZE, { maxWidth: width });
      });
      bottom = Math.min(bottom, w.y);
    });
    w.y = bottom;
    i += row.length;
  }
}

function heading(w: Writer, text: string): void {
  w.rule();
  w.line(text, 11, { bold: true });
}

function headerBlock(w: Writer, input: ReportInput): void {
  const { header } = input;
  const fields: Field[] = [];
  for (const [key, label] of HEADER_LABELS) {
    const value =
      key === "inspectionDate"
        ? (header.inspectionDate ?? input.createdAt.toISOString().slice(0, 10))
        : header[key];
    if (value !== undefined || !["technique", "inspector", "reviewer"].includes(key))
      fields.push([label, value ?? "-"]);
  }
  fieldGrid(w, fields);
}

function acceptanceBlock(w: Writer, input: ReportInput): void {
  if (!input.acceptance || !input.weld) return;
  heading(w, "Acceptance criterion and weld");
  w.paragraph(`Standard: ${criterionText(input.acceptance)}`);
  fieldGrid(w, weldFields(input.weld, input.acceptance));
  if (input.technique) {
    heading(w, "Technique (EN ISO 17636-2, ASME V Article 2)");
    fieldGrid(w, techniqueFields(input.technique));
  }
}

function modelAndCounts(w: Writer, input: ReportInput): void {
  heading(w, "Model");
  const models = new Map<string, ReportImage["model"]>();
  for (const image of input.images)
    models.set(`${image.model.name}|${image.model.version}|${image.model.sha256}`, image.model);
  for (const model of models.values()) {
    w.line(`${model.name} version ${model.version ?? "-"}`, 9);
    w.line(`sha256 ${model.sha256 ?? "-"}`, 8, { colour: MUTED });
  }
  heading(w, "Indications per class (reviewed set)");
  const counts = new Map<string, { accepted: number; pending: number }>();
  for (const image of input.images) {
    for (const item of shown(image.items)) {
      const key = `${item.classId} ${item.label}`;
      const count = counts.get(key) ?? { accepted: 0, pending: 0 };
      count[item.decision as "accepted" | "pending"] += 1;
      counts.set(key, count);
    }
  }
  const columns: Array<[number, number]> = [
    [0, 200],
    [200, 80],
    [280, 80],
    [360, 80],
  ];
  w.row(["Class", "Accepted", "Pending review", "Total"], columns, { bold: true });
  let accepted = 0;
  let pending = 0;
  for (const [name, count] of [...counts].sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))) {
    w.row(
      [name, String(count.accepted), String(count.pending), String(count.accepted + count.pending)],
      columns,
    );
    accepted += count.accepted;
    pending += count.pending;
  }
  w.row(["All classes", String(accepted), String(pending), String(accepted + pending)], columns, {
    bold: true,
  });
}

/** The verdict, where it came from, and an override's reason. */
function verdictBlock(w: Writer, input: ReportInput): void {
  w.rule();
  w.ensure(60);
  w.y -= 26;
  const verdict = input.verdict === "cannot_evaluate" ? "CANNOT BE EVALUATED" : input.verdict.toUpperCase();
  w.text(`VERDICT: ${verdict}`, MARGIN, 18, { bold: true });
  const { assessment, derivedVerdict, verdictOverride } = input;
  if (!assessment || !derivedVerdict) {
    w.line("Entered by the reviewer (report made before acceptance assessment)", 9, { colour: MUTED });
    return;
  }
  const indications = assessment.films.reduce((sum, film) => sum + film.indications.length, 0);
  w.paragraph(
    `Derived verdict: ${OUTCOME_TEXT[derivedVerdict]}, from the assessment of ${indications} reviewed indication(s) against ${criterionText(assessment.acceptance)}`,
  );
  if (assessment.missingFields.length) w.paragraph(`Missing inputs: ${assessment.missingFields.join(", ")}`);
  if (verdictOverride) {
    w.paragraph(
      `Reviewer's override: ${OUTCOME_TEXT[verdictOverride.verdict]} instead of ${OUTCOME_TEXT[derivedVerdict]}`,
      9,
      { bold: true },
    );
    w.paragraph(`Reason: ${verdictOverride.reason}`);
  }
}

/** Who read and who reviewed the films, with a line each to sign and date. */
function signatureBlock(w: Writer, input: ReportInput): void {
  if (!input.personnel) return;
  heading(w, "Personnel and signatures");
  const { inspector, reviewer } = input.personnel;
  const people: Array<[string, typeof inspector | undefined]> = [
    ["Inspector", inspector],
    ["Reviewer", reviewer],
  ];
  for (const [role, person] of people) {
    w.ensure(46);
    w.paragraph(`${role}: ${person ? personText(person) : "none named"}`);
    if (!person) continue;
    w.y -= 24;
    w.text("Signature:", MARGIN, 9);
    w.text("Date:", MARGIN + 300, 9);
    for (const [x, width] of [
      [MARGIN + 52, 230],
      [MARGIN + 330, PAGE.width - MARGIN - (MARGIN + 330)],
    ] as const) {
      w.page.drawLine({
        start: { x, y: w.y - 2 },
        end: { x: x + width, y: w.y - 2 },
        thickness: 0.5,
        color: RULE,
      });
    }
  }
}

/**
 * The first page(s): number and date, header fields, the acceptance criterion with the weld
 * inputs, the technique, the model identity, per-class counts of the reviewed set, remarks, the
 * verdict and how it was reached, and the signature blocks.
 */
export function coverPage(w: Writer, input: ReportInput): void {
  w.newPage();
  w.line("INSPECTION REPORT", 18, { bold: true });
  w.line(`Report ${input.number}`, 12, { bold: true });
  w.line(
    `Created ${input.createdAt.toISOString().slice(0, 16).replace("T", " ")} UTC · ${input.images.length} image(s) · detections: reviewed set`,
    9,
    { colour: MUTED },
  );
  w.rule();
  headerBlock(w, input);
  acceptanceBlock(w, input);
  modelAndCounts(w, input);
  if (input.header.remarks) {
    heading(w, "Remarks");
    w.paragraph(input.header.remarks);
  }
  verdictBlock(w, input);
  signatureBlock(w, input);
}
