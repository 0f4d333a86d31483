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

function metricsSection(metrics: CardInput["metrics"]): string[] {
  if (!metrics || Object.keys(metrics).length === 0) return ["Not evaluated yet."];
  const map50 = metrics.val?.map50;
  return [
    ...(typeof map50 === "number" ? [`Validation mAP@0.5: **${map50.toFixed(4)}**`, ""] : []),
    "```json",
    JSON.stringify(metrics, null, 2),
    "```",
  ];
}

/** The version's model card, generated once from what the registry recorded when it was created. */
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
