import type { ReviewItem } from "../reviews/reviewed-set";
import { CONTENT_WIDTH, MARGIN, MUTED, type Writer } from "./pdf-layout";
import type { ReportImage, ReportInput } from "./report-input";
import { wrapped } from "./text";

const HEADER_LABELS: Array<[keyof ReportInput["header"], string]> = [
  ["customer", "Customer"],
  ["partId", "Part"],
  ["weldId", "Weld"],
  ["inspectionId", "Inspection"],
  ["inspectionMethod", "Method"],
  ["technique", "Technique"],
  ["inspectionDate", "Inspection date"],
  ["inspector", "Inspector"],
  ["reviewer", "Reviewer"],
];

/** The reviewed set of an image: what is drawn and counted. */
const shown = (items: ReviewItem[]) => items.filter((item) => item.decision !== "rejected");

/**
 * The first page: number and date, the header fields, the model identity, per-class counts of
 * the reviewed set, the remarks and the verdict.
 */
export function coverPage(w: Writer, input: ReportInput): void {
  const { header } = input;
  w.newPage();
  w.line("INSPECTION REPORT", 18, { bold: true });
  w.line(`Report ${input.number}`, 12, { bold: true });
  w.line(
    `Created ${input.createdAt.toISOString().slice(0, 16).replace("T", " ")} UTC · ${input.images.length} image(s) · detections: reviewed set`,
    9,
    { colour: MUTED },
  );
  w.rule();
  for (const [key, label] of HEADER_LABELS) {
    const value =
      key === "inspectionDate"
        ? (header.inspectionDate ?? input.createdAt.toISOString().slice(0, 10))
        : header[key];
    w.y -= 14;
    w.text(`${label}:`, MARGIN, 10, { bold: true });
    w.text(value ?? "-", MARGIN + 110, 10);
  }
  w.rule();
  w.line("Model", 11, { bold: true });
  const models = new Map<string, ReportImage["model"]>();
  for (const image of input.images)
    models.set(`${image.model.name}|${image.model.version}|${image.model.sha256}`, image.model);
  for (const model of models.values()) {
    w.line(`${model.name} version ${model.version ?? "-"}`, 9);
    w.line(`sha256 ${model.sha256 ?? "-"}`, 8, { colour: MUTED });
  }
  w.rule();
  w.line("Indications per class (reviewed set)", 11, { bold: true });
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
  w.rule();
  if (header.remarks) {
    w.line("Remarks", 11, { bold: true });
    for (const line of wrapped(w.fonts.regular, header.remarks, 9, CONTENT_WIDTH)) w.line(line, 9);
    w.rule();
  }
  w.y -= 30;
  w.text(`VERDICT: ${input.verdict.toUpperCase()}`, MARGIN, 20, { bold: true });
  w.y -= 14;
  w.text(`Entered by the reviewer${header.reviewer ? ` (${header.reviewer})` : ""}`, MARGIN, 9, {
    colour: MUTED,
  });
}
