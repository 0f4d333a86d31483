"""Validation during training: NMS on the export-layout output and COCO-style mAP (101-point).

The shipped figures come from the TypeScript evaluator running the service's own decode and NMS;
this module only ranks checkpoints while training.
"""

from __future__ import annotations

import numpy as np
import torch

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).prod(-1)
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-9)


def nms(output: torch.Tensor, conf: float = 0.001, iou: float = 0.7, max_det: int = 300, max_nms: int = 3000):
    """Per image, class-aware greedy NMS on one [4+nc, N] output -> (k, 6) x1 y1 x2 y2 score class."""
    results = []
    for pred in output:
        scores, classes = pred[4:].max(0)
        keep = scores > conf
        if not keep.any():
            results.append(np.zeros((0, 6), dtype=np.float32))
            continue
        xywh = pred[:4, keep].T
        boxes = torch.cat((xywh[:, :2] - xywh[:, 2:] / 2, xywh[:, :2] + xywh[:, 2:] / 2), 1).numpy()
        s, c = scores[keep].numpy(), classes[keep].numpy()
        order = np.argsort(-s, kind="stable")[:max_nms]
        boxes, s, c = boxes[order], s[order], c[order]
        # Offsetting boxes by class keeps classes from suppressing each other.
        shifted = boxes + c[:, None] * 10_000.0
        ious = iou_matrix(shifted, shifted)
        suppressed = np.zeros(len(s), dtype=bool)
        kept = []
        for i in range(len(s)):
            if suppressed[i]:
                continue
            kept.append(i)
            if len(kept) == max_det:
                break
            suppressed |= ious[i] > iou
        kept = np.array(kept, dtype=int)
        results.append(np.concatenate((boxes[kept], s[kept, None], c[kept, None]), 1).astype(np.float32))
    return results


def average_precision(tp: np.ndarray, scores: np.ndarray, n_gt: int) -> float:
    """COCO 101-point interpolated AP for one class at one IoU threshold."""
    if n_gt == 0:
        return float("nan")
    if len(scores) == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    tps = np.cumsum(tp[order])
    fps = np.cumsum(~tp[order])
    recall = tps / n_gt
    precision = tps / np.maximum(tps + fps, 1e-9)
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    points = np.linspace(0, 1, 101)
    idx = np.searchsorted(recall, points, side="left")
    return float(np.where(idx < len(precision), precision[np.minimum(idx, len(precision) - 1)], 0).mean())


def evaluate(detections: list[np.ndarray], targets: list[np.ndarray], nc: int) -> dict:
    """detections: per image (k, 6); targets: per image (n, 5) class x1 y1 x2 y2. Returns mAP figures."""
    records = [[[] for _ in IOU_THRESHOLDS] for _ in range(nc)]
    scores = [[] for _ in range(nc)]
    n_gt = np.zeros(nc, dtype=int)
    for det, gt in zip(detections, targets):
        for c in range(nc):
            g = gt[gt[:, 0] == c, 1:]
            d = det[det[:, 5] == c]
            d = d[np.argsort(-d[:, 4], kind="stable")]
            n_gt[c] += len(g)
            scores[c].append(d[:, 4])
            ious = iou_matrix(d[:, :4], g) if len(d) and len(g) else np.zeros((len(d), len(g)))
            # Only detections overlapping some truth by 0.5 can match; the rest are false positives.
            hits = np.where(ious.max(1) >= IOU_THRESHOLDS[0])[0] if len(g) else np.zeros(0, dtype=int)
            for t, thr in enumerate(IOU_THRESHOLDS):
                taken = np.zeros(len(g), dtype=bool)
                tp = np.zeros(len(d), dtype=bool)
                for i in hits:
                    cand = np.where(taken, -1, ious[i])
                    j = int(cand.argmax())
                    if cand[j] >= thr:
                        taken[j] = True
                        tp[i] = True
                records[c][t].append(tp)
    ap = np.full((nc, len(IOU_THRESHOLDS)), np.nan)
    for c in range(nc):
        s = np.concatenate(scores[c]) if scores[c] else np.zeros(0)
        for t in range(len(IOU_THRESHOLDS)):
            tp = np.concatenate(records[c][t]) if records[c][t] else np.zeros(0, dtype=bool)
            ap[c, t] = average_precision(tp, s, int(n_gt[c]))
    present = n_gt > 0
    return {
        "map50": float(np.nanmean(ap[present, 0])) if present.any() else 0.0,
        "map": float(np.nanmean(ap[present].mean(1))) if present.any() else 0.0,
        "ap50": ap[:, 0].tolist(),
        "ap": ap.mean(1).tolist(),
    }
