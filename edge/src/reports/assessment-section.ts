import type { FilmAssessment, ReportAssessment } from "@common/inspection-report";
import { criterionText, OUTCOME_TEXT } from "./document-text";
import { INK, MUTED, ROW_HEIGHT, type Writer } from "./pdf-layout";

const WARNING = { bold: true, colour: INK } as const;
/** Hundredths of a millimetre: finer than any film resolves, so rounding never moves a value across a limit unseen. */
const fmt = (value: number) => value.toFixed(2);

const COLUMNS: Array<[number, number]> = [
  [0, 16],
  [16, 58],
  [74, 90],
  [164, 74],
  [238, 56],
  [294, 52],
  [346, 54],
  [400, 115],
];
const HEADINGS = [
  "#",
  "ISO 6520-1",
  "Class",
  "Along weld mm",
  "Length mm",
  "Width mm",
  "Review",
  "Assessment",
];

const muted = (w: Writer, text: string, indent = 16) => w.paragraph(text, 7, { colour: MUTED, indent });

/** The calibration a film was measured with, and a warning where a stated size overrode its own. */
function calibration(w: Writer, film: FilmAssessment): void {
  const pixel = film.pixelSizeMm;
  w.paragraph(
    pixel
      ? `Pixel size ${pixel.x}×${pixel.y} mm. Location: mm along the weld from the film's ${film.datum} (the indication's position in pixels × the pixel size).`
      : "Pixel size unknown: no size in mm, so no indication can be evaluated.",
    8,
    { colour: MUTED },
  );
  const own = film.calibrationOverridden;
  if (own && pixel) {
    w.paragraph(
      `WARNING: the stated pixel size ${pixel.x}×${pixel.y} mm overrides the film's own calibration ${own.x}×${own.y} mm (${own.source}).`,
      8,
      WARNING,
    );
  }
}

function filmTable(w: Writer, film: FilmAssessment, position: number, total: number): void {
  const name = film.filename ?? film.jobId;
  w.ensure(ROW_HEIGHT * 5);
  w.rule();
  w.paragraph(`Film ${position} of ${total}: ${name}: ${OUTCOME_TEXT[film.verdict]}`, 10, { bold: true });
  calibration(w, film);
  if (film.missingFields.length) w.paragraph(`Missing inputs: ${film.missingFields.join(", ")}`, 8);
  const head = () => w.row(HEADINGS, COLUMNS, { bold: true });
  head();
  if (film.indications.length === 0) w.row(["", "No indications in the reviewed set"], COLUMNS);
  for (const each of film.indications) {
    if (w.ensure(ROW_HEIGHT * 3)) {
      w.line(`Film ${position} of ${total}: ${name} (continued)`, 10, { bold: true });
      head();
    }
    w.row(
      [
        String(each.number),
        each.iso6520?.code ?? "unmapped",
        `${each.classId} ${each.label}`,
        each.alongMm ? `${fmt(each.alongMm.from)}–${fmt(each.alongMm.to)}` : "-",
        each.lengthMm === null ? "-" : fmt(each.lengthMm),
        each.widthMm === null ? "-" : fmt(each.widthMm),
        each.decision,
        OUTCOME_TEXT[each.outcome],
      ],
      COLUMNS,
    );
    const rule = each.rule
      ? `Rule: ${each.rule.source.document}, ${each.rule.source.clause} (${each.rule.id})`
      : "Rule: none";
    muted(w, `${rule}: ${each.explanation}`);
  }
  for (const finding of film.weldFindings) {
    muted(
      w,
      `Weld: ${finding.rule.source.document}, ${finding.rule.source.clause}: ${OUTCOME_TEXT[finding.outcome]}: ${finding.explanation}`,
      0,
    );
  }
}

/**
 * The assessment the verdict was derived from: per film, each reviewed indication with its
 * ISO 6520-1 reference, location along the weld, size in mm, outcome and the rule that decided it.
 */
export function assessmentSection(w: Writer, assessment: ReportAssessment): void {
  w.newPage();
  w.line("ACCEPTANCE ASSESSMENT", 14, { bold: true });
  w.paragraph(`${criterionText(assessment.acceptance)}: ${OUTCOME_TEXT[assessment.verdict]}`, 10);
  w.paragraph(
    "Length is the indication's longest extent measured on the film and width its extent across it; a box drawn or resized in review, or an indication too faint to measure, is sized by its box's longer and shorter sides. Rejected indications are not part of the reviewed set.",
    8,
    { colour: MUTED },
  );
  assessment.films.forEach((film, index) => {
    filmTable(w, film, index + 1, assessment.films.length);
  });
}
