import type { ReportAssessment } from "../api/reports";

const OUTCOME = { accept: "accept", reject: "reject", cannot_evaluate: "cannot be evaluated" } as const;
const mm = (value: number) => value.toFixed(2);
const CRITERIA = {
  "en-iso-10675-1": "EN ISO 10675-1",
  "asme-viii-1": "ASME VIII-1 UW-51 with Appendix 4",
} as const;

/**
 * The verdict issuing would derive, and the per-indication table behind it: each reviewed
 * indication's ISO 6520-1 reference, place along the weld, size, outcome and deciding clause.
 */
export function ReportAssessmentView({ assessment }: { assessment: ReportAssessment }) {
  return (
    <section aria-labelledby="assessment-heading">
      <h3 id="assessment-heading">Derived verdict</h3>
      {/* The notice's green frame says "fine"; a verdict that is not an acceptance is framed red. */}
      <p
        class="notice"
        style={assessment.verdict === "accept" ? undefined : "border-color: var(--error)"}
        data-verdict={assessment.verdict}
      >
        <strong>{OUTCOME[assessment.verdict].toUpperCase()}</strong> under{" "}
        {CRITERIA[assessment.acceptance.standard]}
        {assessment.acceptance.standard === "en-iso-10675-1"
          ? `, acceptance level ${assessment.acceptance.level}`
          : ""}
      </p>
      {assessment.missingFields.length > 0 && (
        <p class="hint">Missing inputs: {assessment.missingFields.join(", ")}</p>
      )}
      {assessment.films.map((film, index) => (
        <table data-job-id={film.jobId}>
          <caption>
            Film {index + 1}: {film.filename ?? film.jobId}: {OUTCOME[film.verdict]}
            <span class="hint">
              {" "}
              {film.pixelSizeMm
                ? `mm along the weld from the film's ${film.datum}, pixel ${film.pixelSizeMm.x}×${film.pixelSizeMm.y} mm`
                : "pixel size unknown: nothing can be measured in mm"}
            </span>
            {film.calibrationOverridden && (
              <span class="error" role="note">
                {" "}
                The stated pixel size overrides the film's own calibration ({film.calibrationOverridden.x}×
                {film.calibrationOverridden.y} mm, {film.calibrationOverridden.source}).
              </span>
            )}
          </caption>
          <thead>
            <tr>
              {[
                "#",
                "ISO 6520-1",
                "Class",
                "Along weld (mm)",
                "Length (mm)",
                "Width (mm)",
                "Review",
                "Assessment",
                "Rule",
              ].map((heading) => (
                <th scope="col">{heading}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {film.indications.length === 0 && (
              <tr>
                <td colSpan={9}>No indications in the reviewed set</td>
              </tr>
            )}
            {film.indications.map((each) => (
              <tr data-outcome={each.outcome} data-decision={each.decision}>
                <td>{each.number}</td>
                <td>{each.iso6520 ? `${each.iso6520.code} ${each.iso6520.name}` : "unmapped"}</td>
                <td>{each.label}</td>
                <td>{each.alongMm ? `${mm(each.alongMm.from)}–${mm(each.alongMm.to)}` : "-"}</td>
                <td>{each.lengthMm === null ? "-" : mm(each.lengthMm)}</td>
                <td>{each.widthMm === null ? "-" : mm(each.widthMm)}</td>
                <td>{each.decision}</td>
                <td>{OUTCOME[each.outcome]}</td>
                <td>
                  {each.rule ? `${each.rule.source.document}, ${each.rule.source.clause}` : "none"}
                  <span class="hint"> {each.explanation}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}
