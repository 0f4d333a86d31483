import { useEffect, useRef, useState } from "hono/jsx/dom";
import { downloadReportPdf } from "../api/download";
import { listJobs } from "../api/jobs";
import { assessReport, createReport, listReports, type ReportAssessment } from "../api/reports";
import type { Report } from "../api/types";
import { usePagedList } from "../api/use-paged-list";
import { ErrorMessage } from "../components/error-message";
import { jobPickerLabel } from "../components/film-identity";
import { LoadMore } from "../components/load-more";
import { ReportAssessmentView } from "../components/report-assessment";
import { assessBody, createBody, HEADER_FIELDS } from "../components/report-body";
import {
  AcceptanceFieldset,
  OverrideFieldset,
  PersonnelFieldset,
  TechniqueFieldset,
  TextField,
} from "../components/report-fields";
import { TableHead } from "../components/table-head";
import { BASE, useRoute } from "../router";
import { toggled } from "../toggled";

/** Reports render on a queue; their status is read again at this pace until it settles. */
const POLL_MS = 1000;
/** The assessment is asked again this long after the last change to the form. */
const ASSESS_DELAY_MS = 300;

const settled = (report: Report) => report.status === "ready" || report.status === "failed";

/** The assessment of the chosen jobs under the form's criterion, asked again as the form changes. */
function useAssessment(chosen: Set<string>) {
  const form = useRef<HTMLFormElement | null>(null);
  const [assessment, setAssessment] = useState<ReportAssessment | null>(null);
  const [error, setError] = useState<unknown>(null);
  const asked = useRef(0);
  const lastBody = useRef("");
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  function reassess() {
    clearTimeout(timer.current);
    timer.current = setTimeout(async () => {
      if (!form.current || chosen.size === 0) {
        ++asked.current;
        lastBody.current = "";
        setAssessment(null);
        return;
      }
      // Typing in a field the assessment does not read (a name, the technique) asks nothing.
      const body = assessBody(new FormData(form.current), [...chosen]);
      if (JSON.stringify(body) === lastBody.current) return;
      lastBody.current = JSON.stringify(body);
      const ticket = ++asked.current;
      try {
        const result = await assessReport(body);
        if (ticket === asked.current) {
          setAssessment(result);
          setError(null);
        }
      } catch (failure) {
        if (ticket === asked.current) {
          lastBody.current = "";
          setAssessment(null);
          setError(failure);
        }
      }
    }, ASSESS_DELAY_MS);
  }
  /** Asks again even if the form is unchanged: the reviews may have changed meanwhile. */
  function refresh() {
    lastBody.current = "";
    reassess();
  }
  // Back from reviewing in the viewer (another tab or window): the pending count may have changed.
  useEffect(() => {
    window.addEventListener("focus", refresh);
    return () => window.removeEventListener("focus", refresh);
  }, [[...chosen].join(",")]);
  useEffect(() => {
    reassess();
    return () => clearTimeout(timer.current);
  }, [[...chosen].join(",")]);
  return { form, assessment, error, reassess, refresh };
}

/**
 * Why the report cannot be issued yet, with a link to each film still to review. The viewer opens
 * in a new tab so the form is kept; coming back asks for the assessment again.
 */
function PendingReview({ assessment }: { assessment: ReportAssessment }) {
  const { pending } = assessment;
  const films = assessment.films
    .map((film, index) => ({
      film,
      index,
      count: film.indications.filter((each) => each.decision === "pending").length,
    }))
    .filter(({ count }) => count > 0);
  return (
    <div class="error" role="alert" id="issue-blocked">
      <p>
        {pending} indication{pending === 1 ? " is" : "s are"} still pending review: accept or reject{" "}
        {pending === 1 ? "it" : "them"} in the viewer before issuing.
      </p>
      <ul>
        {films.map(({ film, index, count }) => (
          <li>
            <a href={`${BASE}/jobs/${film.jobId}`} target="_blank" rel="noopener">
              Review film {index + 1} ({film.filename ?? film.jobId}): {count} pending
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function ReportsPage() {
  const { query } = useRoute();
  const jobs = usePagedList(listJobs({ status: "succeeded" }));
  const reports = usePagedList(listReports());
  const [chosen, setChosen] = useState<Set<string>>(new Set(query.getAll("job")));
  const [standard, setStandard] = useState("en-iso-10675-1");
  const [error, setError] = useState<unknown>(null);
  const { form, assessment, error: assessError, reassess, refresh } = useAssessment(chosen);

  const rendering = reports.items.some((report) => !settled(report));
  useEffect(() => {
    if (!rendering) return;
    const timer = setInterval(() => reports.reload(), POLL_MS);
    return () => clearInterval(timer);
  }, [rendering]);
  useEffect(reassess, [standard]);

  const pending = assessment?.pending ?? 0;
  const canIssue = chosen.size > 0 && assessment !== null && pending === 0;

  async function issue(event: Event) {
    event.preventDefault();
    if (!canIssue) return;
    setError(null);
    try {
      const report = await createReport(
        createBody(new FormData(event.target as HTMLFormElement), [...chosen]),
      );
      reports.update((list) => [report, ...list]);
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <section>
      <h1>Reports</h1>
      <form
        ref={form}
        onSubmit={issue}
        onInput={reassess}
        onChange={reassess}
        aria-labelledby="new-report-heading"
      >
        <h2 id="new-report-heading">New inspection report</h2>
        <p class="hint">
          The report shows each job's reviewed set and derives its verdict from it: review the detections
          first.
        </p>
        <fieldset>
          <legend>Jobs ({chosen.size} chosen)</legend>
          {jobs.loaded && jobs.items.length === 0 && <p>No succeeded jobs yet.</p>}
          {jobs.items.map((job) => (
            <label class="check">
              <input
                type="checkbox"
                checked={chosen.has(job.id)}
                onChange={() => setChosen((set) => toggled(set, job.id))}
              />
              {jobPickerLabel(job)}
            </label>
          ))}
          <LoadMore list={jobs} noun="succeeded jobs" />
        </fieldset>
        <AcceptanceFieldset standard={standard} onStandard={setStandard} />
        <TechniqueFieldset />
        <PersonnelFieldset />
        <fieldset>
          <legend>Report header</legend>
          <div class="inline-form">
            {HEADER_FIELDS.map((field) => (
              <TextField name={field.name} label={field.label} />
            ))}
            <div>
              <label htmlFor="report-inspectionDate">Inspection date</label>
              <input id="report-inspectionDate" name="inspectionDate" type="date" />
            </div>
          </div>
          <label htmlFor="report-remarks">Remarks</label>
          <textarea id="report-remarks" name="remarks" rows={2} maxLength={2000} />
        </fieldset>
        <ErrorMessage error={assessError} />
        {assessment && <ReportAssessmentView assessment={assessment} />}
        <OverrideFieldset />
        {pending > 0 && assessment && <PendingReview assessment={assessment} />}
        <div class="button-row">
          <button type="button" onClick={refresh} disabled={chosen.size === 0}>
            Assess again
          </button>
          <button
            type="submit"
            disabled={!canIssue}
            aria-describedby={pending > 0 ? "issue-blocked" : undefined}
          >
            Issue report
          </button>
        </div>
      </form>
      <ErrorMessage error={error} />
      <table aria-live="polite">
        <caption>Your reports</caption>
        <TableHead columns={["Number", "Verdict", "Jobs", "Status"]} actions="Download" />
        <tbody>
          {reports.items.map((report) => (
            <tr data-report-id={report.id} data-status={report.status}>
              <td>{report.number}</td>
              <td>
                {report.verdict}
                {report.verdictOverride && <span class="hint"> (override of {report.derivedVerdict})</span>}
              </td>
              <td>{report.jobs.length}</td>
              <td>
                {report.status}
                {report.error && <span class="hint"> {report.error}</span>}
              </td>
              <td>
                {report.status === "ready" && (
                  <button type="button" onClick={() => downloadReportPdf(report).catch(setError)}>
                    Download PDF
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <LoadMore list={reports} noun="reports" />
    </section>
  );
}
