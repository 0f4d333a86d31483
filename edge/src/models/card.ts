import type { modelVersions } from "@db/schema";

type CardInput = Pick<
  typeof modelVersions.$inferSelect,
  | "name"
  | "version"
  | "sha256"
  | "bytes"
  | "classes"
  | "inputSize"
  | "layout"
  | "metadata"
  | "metrics"
  | "datasetId"
  | "baseModel"
  | "createdAt"
> & { createdByEmail: string | null };

/** A markdown table cell: pipes and line breaks would break the row. */
const cell = (value: unknown) => String(value).replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

type Figures = { map50?: unknown; map50_95?: unknown; precision?: unknown; recall?: unknown };

const figure = (value: unknown) => (typeof value === "number" ? value.toFixed(4) : "–");

/**
 * The evaluation beside the model it would replace (`metrics.baseline`, written when the
 * inference service's evaluation of the version comes back); nothing before that.
 */
function comparisonTable(metrics: NonNullable<CardInput["metrics"]>): string[] {
  const baseline = metrics.baseline as (Figures & { ref?: unknown }) | undefined;
  if (!baseline || typeof baseline !== "object") return [];
  const val = (metrics.val ?? {}) as Figures;
  const rows: Array<[string, keyof Figures]> = [
    ["mAP@0.5", "map50"],
    ["mAP@0.5:0.95", "map50_95"],
    ["precision", "precision"],
    ["recall", "recall"],
  ];
  return [
    `Evaluated on the dataset's validation split by the inference service, beside ${cell(baseline.ref ?? "the baseline")}:`,
    "",
    `| metric | this version | ${cell(baseline.ref ?? "baseline")} |`,
    "|---|---|---|",
    ...rows.map(([label, key]) => `| ${label} | ${figure(val[key])} | ${figure(baseline[key])} |`),
    "",
  ];
}

function metricsSection(metrics: CardInput["metrics"]): string[] {
  if (!metrics || Object.keys(metrics).length === 0) return ["Not evaluated yet."];
  const map50 = metrics.val?.map50;
  return [
    ...(typeof map50 === "number" ? [`Validation mAP@0.5: **${map50.toFixed(4)}**`, ""] : []),
    ...comparisonTable(metrics),
    "```json",
    JSON.stringify(metrics, null, 2),
    "```",
  ];
}

/** The version's model card, generated from what the registry recorded: at creation, and again once evaluated. */
export function modelCard(v: CardInput): string {
  const metadata = Object.entries(v.metadata).sort(([a], [b]) => a.localeCompare(b));
  return [
    `# ${v.name}@${v.version}`,
    "",
    "## Identity",
    "",
    "| | |",
    "|---|---|",
    `| SHA-256 | \`${v.sha256}\` |`,
    `| Size | ${v.bytes} bytes |`,
    `| Created | ${v.createdAt.toISOString()}${v.createdByEmail ? ` by ${cell(v.createdByEmail)}` : ""} |`,
    "",
    "## Model",
    "",
    `- Input: ${v.inputSize.height}×${v.inputSize.width} (H×W), 3 channels`,
    `- Output layout: \`${v.layout}\``,
    `- Classes (${v.classes.length}):`,
    "",
    "| id | class |",
    "|---|---|",
    ...v.classes.map((name, id) => `| ${id} | ${cell(name)} |`),
    "",
    "## Lineage",
    "",
    `- Dataset: ${v.datasetId ?? "not recorded"}`,
    `- Base model: ${v.baseModel ?? "not recorded"}`,
    "",
    "## Metrics",
    "",
    ...metricsSection(v.metrics),
    "",
    "## ONNX metadata",
    "",
    "| key | value |",
    "|---|---|",
    ...metadata.map(([key, value]) => `| ${cell(key)} | ${cell(value)} |`),
    "",
  ].join("\n");
}
