/** The fine-tuning bench's table (Markdown, as docs/operations.md carries it) and its target check. */
import type { ModelEvaluation } from "@common/contracts/evaluation";

export type Row = {
  n: number;
  films: { train: number; val: number };
  objects: { train: number; val: number; total: number };
  review: { accepted: number; relabelled: number; rejected: number; drawn: number };
  epochs: number;
  /** Seconds from `POST /v1/trainings` to `succeeded`, and from the trainer's claim to its finish. */
  wallSeconds: number;
  trainerSeconds: number | null;
  cpuSeconds: number;
  load: { before: number; after: number };
  model: string;
  before: ModelEvaluation;
  after: ModelEvaluation;
  /** The product's own evaluation of the version on its dataset's val split (mAP@0.5), when it ended. */
  productValMap50: number | null;
};

/** Issue #20: with 25 films, held-out mAP@0.5 on style B at least doubles and reaches 0.7. */
export const TARGET = { n: 25, factor: 2, map50: 0.7 } as const;

const f3 = (value: number | null | undefined) =>
  value === null || value === undefined ? "–" : value.toFixed(3);
const s0 = (value: number | null) => (value === null ? "–" : value.toFixed(0));

export function targetHolds(row: Row): boolean {
  return row.after.map50 >= TARGET.factor * row.before.map50 && row.after.map50 >= TARGET.map50;
}

function targetCell(row: Row): string {
  const verdict = `${targetHolds(row) ? "yes" : "no"}`;
  return row.n === TARGET.n ? `**${verdict}**` : `${verdict} (target is for N = ${TARGET.n})`;
}

export function table(rows: readonly Row[]): string {
  const head = [
    "| N | films train/val | objects train/val | review: accepted / relabelled / rejected / drawn | epochs | training wall s (claim→finish) | trainer CPU s (user+sys) | load before/after | held-out mAP@0.5 before → after | held-out mAP@0.5:0.95 before → after | val-split mAP@0.5 (product evaluation) | target |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  const lines = rows.map((r) =>
    [
      r.n,
      `${r.films.train}/${r.films.val}`,
      `${r.objects.train}/${r.objects.val}`,
      `${r.review.accepted} / ${r.review.relabelled} / ${r.review.rejected} / ${r.review.drawn}`,
      r.epochs,
      `${s0(r.wallSeconds)} (${s0(r.trainerSeconds)})`,
      s0(r.cpuSeconds),
      `${r.load.before.toFixed(1)}/${r.load.after.toFixed(1)}`,
      `${f3(r.before.map50)} → ${f3(r.after.map50)}`,
      `${f3(r.before.map50_95)} → ${f3(r.after.map50_95)}`,
      f3(r.productValMap50),
      targetCell(r),
    ].join(" | "),
  );
  return [...head, ...lines.map((line) => `| ${line} |`)].join("\n");
}

/** Per-class AP@0.5 on the held-out films, before and after, one column per N. */
export function perClassTable(rows: readonly Row[]): string {
  const first = rows[0];
  if (!first) return "";
  const head = `| class | truths | before | ${rows.map((r) => `after, N = ${r.n}`).join(" | ")} |`;
  const rule = `|---|---|---|${rows.map(() => "---").join("|")}|`;
  const lines = first.before.perClass.map((c, i) => {
    const after = rows.map((r) => f3(r.after.perClass[i]?.ap50));
    return `| ${c.name} | ${c.truths} | ${f3(c.ap50)} | ${after.join(" | ")} |`;
  });
  return [head, rule, ...lines].join("\n");
}
