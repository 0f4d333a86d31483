import type { Box, Detection } from "@common/contracts/detect-result";
import type { ClassAgreement } from "@db/schema";

/** IoU at or above which a shadow box and a production box of the same class are the same finding. */
export const AGREEMENT_IOU = 0.5;

function iou(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union <= 0 ? 0 : inter / union;
}

/**
 * How a candidate's detections on one image agree with production's, per class (by label, so
 * models that number classes differently compare): each candidate box, highest score first, takes
 * the unclaimed production box of its class it overlaps most (IoU ≥ 0.5) — `matched`; candidate
 * boxes left over are `extra`, production boxes left over `missing`. Sorted by label.
 */
export function classAgreement(
  production: readonly Detection[],
  candidate: readonly Detection[],
): ClassAgreement[] {
  const rows = new Map<string, ClassAgreement>();
  const row = (label: string) => {
    let found = rows.get(label);
    if (!found) {
      found = { label, matched: 0, extra: 0, missing: 0 };
      rows.set(label, found);
    }
    return found;
  };
  const taken = new Array<boolean>(production.length).fill(false);
  for (const box of [...candidate].sort((a, b) => b.score - a.score)) {
    let best = -1;
    let bestIou = AGREEMENT_IOU;
    production.forEach((other, j) => {
      if (taken[j] || other.label !== box.label) return;
      const overlap = iou(box.box, other.box);
      if (overlap >= bestIou) {
        bestIou = overlap;
        best = j;
      }
    });
    if (best < 0) row(box.label).extra++;
    else {
      taken[best] = true;
      row(box.label).matched++;
    }
  }
  production.forEach((other, j) => {
    if (!taken[j]) row(other.label).missing++;
  });
  return [...rows.values()].sort((a, b) => a.label.localeCompare(b.label));
}

/** Per-class sums over jobs, plus the totals and the agreement rate matched / (matched + extra + missing). */
export function sumAgreement(perJob: ReadonlyArray<readonly ClassAgreement[]>) {
  const rows = new Map<string, ClassAgreement>();
  for (const job of perJob) {
    for (const { label, matched, extra, missing } of job) {
      const sum = rows.get(label) ?? { label, matched: 0, extra: 0, missing: 0 };
      sum.matched += matched;
      sum.extra += extra;
      sum.missing += missing;
      rows.set(label, sum);
    }
  }
  const rate = (r: Omit<ClassAgreement, "label">) => {
    const all = r.matched + r.extra + r.missing;
    return all === 0 ? 1 : r.matched / all;
  };
  const perClass = [...rows.values()]
    .sort((a, b) => a.label.localeCompare(b.label))
    .map((r) => ({ ...r, agreement: rate(r) }));
  const total = perClass.reduce(
    (sum, r) => ({
      matched: sum.matched + r.matched,
      extra: sum.extra + r.extra,
      missing: sum.missing + r.missing,
    }),
    { matched: 0, extra: 0, missing: 0 },
  );
  return { perClass, total: { ...total, agreement: rate(total) } };
}

/**
 * Whether a job takes part in a shadow: a hash of the shadow and job ids, read as a number in
 * [0, 1), below `share`. Deterministic (the same job is always picked or always not), and about
 * `share` of jobs over many, since uuidv7 ids differ in their random bits.
 */
export function pickedForShadow(shadowId: string, jobId: string, share: number): boolean {
  let hash = 0x811c9dc5;
  for (const char of `${shadowId}:${jobId}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // murmur3's finaliser, so every bit of the ids reaches the top bits the comparison reads.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 0x1_0000_0000 < share;
}
