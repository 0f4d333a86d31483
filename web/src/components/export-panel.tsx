import { downloadJobExport } from "../api/download";
import type { JobExport } from "../api/jobs";
import { BASE, linkHandler } from "../router";

const EXPORTS: Array<{ label: string; query: JobExport; file: string }> = [
  { label: "COCO (model)", query: { format: "coco", set: "model" }, file: "model.coco.json" },
  { label: "COCO (reviewed)", query: { format: "coco", set: "reviewed" }, file: "reviewed.coco.json" },
  { label: "YOLO (reviewed)", query: { format: "yolo", set: "reviewed" }, file: "reviewed.txt" },
];

/** A finished job's exports (the model's output or the reviewed set) and the way to its report. */
export function ExportPanel({ jobId, onError }: { jobId: string; onError(error: unknown): void }) {
  return (
    <section aria-labelledby="export-heading">
      <h2 id="export-heading">Export</h2>
      <div class="button-row">
        {EXPORTS.map((entry) => (
          <button
            type="button"
            onClick={() => downloadJobExport(jobId, entry.query, `${jobId}-${entry.file}`).catch(onError)}
          >
            {entry.label}
          </button>
        ))}
      </div>
      <p>
        <a href={`${BASE}/reports?job=${jobId}`} onClick={linkHandler(`/reports?job=${jobId}`)}>
          Create a PDF report with this job
        </a>
      </p>
    </section>
  );
}
