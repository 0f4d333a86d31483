import {
  type AcceptanceCriterion,
  evaluateWeld,
  type Finding,
  type Indication,
  type IndicationResult,
  indicationFromDetection,
  type Weld,
} from "@common/acceptance";
import { extentMm } from "@common/acceptance/geometry";
import { combineOutcomes } from "@common/acceptance/verdict";
import type {
  AssessedIndication,
  FilmAssessment,
  FilmCalibration,
  ReportAssessment,
  ReportWeld,
} from "@common/inspection-report";
import { extentForBox } from "@common/measurement-math";
import type { PixelSize } from "@common/measurements";
import type { ReviewItem } from "../reviews/reviewed-set";

/** One film of a report as the assessment sees it: its reviewed indications and its pixel size. */
export type FilmInput = {
  jobId: string;
  filename: string | null;
  reviewVersion: number;
  pixelSizeMm: PixelSize | null;
  calibrationOverridden: FilmCalibration | null;
  /** With the model's `original` where known: its measured extent sizes an unchanged box. */
  items: ReadonlyArray<
    Pick<ReviewItem, "id" | "decision" | "classId" | "label" | "box"> & Partial<Pick<ReviewItem, "original">>
  >;
};

const NO_PIXEL_SIZE = "the film's pixel size is unknown, so no size can be measured in mm";

function evaluate(criterion: AcceptanceCriterion, weld: Weld, indications: Indication[]) {
  return criterion.standard === "en-iso-10675-1"
    ? evaluateWeld("en-iso-10675-1", criterion.level, weld, indications)
    : evaluateWeld("asme-viii-1", criterion.level, weld, indications);
}

/** The finding that decided an indication's outcome, as the report names it. */
function decidingFinding(result: IndicationResult): Finding | undefined {
  return result.findings.find(
    (finding) => finding.ruleId === result.decidedBy && finding.outcome === result.outcome,
  );
}

/**
 * One film graded on its own: its indications measured in mm from its datum (the left edge, or
 * the top edge for a weld running down the film) and evaluated against the criterion with the
 * report's weld inputs. Rejected indications are not part of the reviewed set; pending ones are
 * assessed as if accepted and flagged.
 */
export function assessFilm(
  criterion: AcceptanceCriterion,
  weld: ReportWeld,
  weldId: string | undefined,
  film: FilmInput,
): FilmAssessment {
  const datum = weld.axis === "x" ? "left edge" : "top edge";
  const numbered = film.items
    .map((item, index) => ({ item, number: index + 1 }))
    .filter(({ item }) => item.decision !== "rejected");
  const base = {
    jobId: film.jobId,
    filename: film.filename,
    reviewVersion: film.reviewVersion,
    pixelSizeMm: film.pixelSizeMm,
    calibrationOverridden: film.calibrationOverridden,
    datum,
  } as const;
  const pixel = film.pixelSizeMm;
  if (!pixel) {
    return {
      ...base,
      verdict: numbered.length === 0 ? "accept" : "cannot_evaluate",
      missingFields: numbered.length === 0 ? [] : ["pixelSizeMm"],
      indications: numbered.map(({ item, number }) => ({
        ...identity(item, number),
        iso6520: null,
        alongMm: null,
        lengthMm: null,
        widthMm: null,
        outcome: "cannot_evaluate",
        rule: null,
        explanation: NO_PIXEL_SIZE,
      })),
      weldFindings: [],
    };
  }
  // Each indication's length and width as measured on the film where its box is still the model's.
  const indications = numbered.map(({ item }) => {
    const extent = extentForBox(item.box, item.original);
    return indicationFromDetection(item.id, { ...item, ...(extent ? { extent } : {}) }, pixel, weld.axis);
  });
  const { axis: _axis, ...inputs } = weld;
  const verdict = evaluate(criterion, { ...inputs, ...(weldId ? { id: weldId } : {}) }, indications);
  const results = new Map(verdict.indications.map((result) => [result.indicationId, result]));
  return {
    ...base,
    verdict: verdict.verdict,
    missingFields: verdict.missingFields,
    indications: numbered.map(({ item, number }, index) => {
      const indication = indications[index] as Indication;
      const { box } = indication;
      const size = extentMm(indication);
      const result = results.get(item.id) as IndicationResult;
      const decided = decidingFinding(result);
      return {
        ...identity(item, number),
        iso6520: result.iso6520,
        alongMm: { from: box.x1, to: box.x2 },
        lengthMm: size.length,
        widthMm: size.width,
        outcome: result.outcome,
        rule: decided ? { id: decided.ruleId, source: decided.source } : null,
        explanation: explanation(result),
      };
    }),
    weldFindings: verdict.weldFindings.map((finding) => ({
      rule: { id: finding.ruleId, source: finding.source },
      outcome: finding.outcome,
      explanation: finding.explanation,
    })),
  };
}

/**
 * Why the indication has its outcome: every check of it that came out the same way, the deciding
 * one first (a slag line passes on its width and its length; a pore may fail on its size and its
 * group's area).
 */
function explanation(result: IndicationResult): string {
  const same = result.findings.filter((finding) => finding.outcome === result.outcome);
  const decided = decidingFinding(result);
  const ordered = decided ? [decided, ...same.filter((finding) => finding !== decided)] : same;
  const texts = [...new Set(ordered.map((finding) => finding.explanation))];
  return texts.length ? texts.join("; ") : "no rule of the standard applies";
}

function identity(
  item: FilmInput["items"][number],
  number: number,
): Pick<AssessedIndication, "itemId" | "number" | "classId" | "label" | "decision"> {
  return {
    itemId: item.id,
    number,
    classId: item.classId,
    label: item.label,
    decision: item.decision === "pending" ? "pending" : "accepted",
  };
}

/**
 * A report's assessment: each film graded, and the weld's verdict derived from theirs (any reject
 * wins, then any that cannot be evaluated). Never "accept" where an input a rule needs is missing.
 */
export function assessReport(
  criterion: AcceptanceCriterion,
  weld: ReportWeld,
  weldId: string | undefined,
  films: readonly FilmInput[],
): ReportAssessment {
  const assessed = films.map((film) => assessFilm(criterion, weld, weldId, film));
  return {
    acceptance: criterion,
    verdict: combineOutcomes(assessed.map((film) => film.verdict)),
    pending: films.reduce(
      (sum, film) => sum + film.items.filter((item) => item.decision === "pending").length,
      0,
    ),
    missingFields: [...new Set(assessed.flatMap((film) => film.missingFields))],
    films: assessed,
  };
}
