"""YOLOv8's training objective: task-aligned assignment, BCE classification, CIoU and DFL box losses."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from model import DFL_MARGIN, dfl_decode, dist2bbox, make_anchors


def box_iou(a: torch.Tensor, b: torch.Tensor, ciou: bool = False, eps: float = 1e-7) -> torch.Tensor:
    """IoU (optionally CIoU) of broadcastable xyxy boxes."""
    ax1, ay1, ax2, ay2 = a.unbind(-1)
    bx1, by1, bx2, by2 = b.unbind(-1)
    w1, h1 = ax2 - ax1, (ay2 - ay1).clamp(min=eps)
    w2, h2 = bx2 - bx1, (by2 - by1).clamp(min=eps)
    inter = (torch.min(ax2, bx2) - torch.max(ax1, bx1)).clamp(0) * (torch.min(ay2, by2) - torch.max(ay1, by1)).clamp(0)
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    if not ciou:
        return iou
    cw = torch.max(ax2, bx2) - torch.min(ax1, bx1)
    ch = torch.max(ay2, by2) - torch.min(ay1, by1)
    c2 = cw**2 + ch**2 + eps
    rho2 = ((bx1 + bx2 - ax1 - ax2) ** 2 + (by1 + by2 - ay1 - ay2) ** 2) / 4
    v = (4 / math.pi**2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)).pow(2)
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


class TaskAlignedAssigner:
    """Picks, for each ground truth, the top-k anchors by score^alpha * IoU^beta among its candidates.

    Candidates are anchors whose centre lies in the box; for boxes smaller than a stride the region
    is widened to ±0.75 stride around the centre, so a 5 px pore still gets anchors (the DFL margin
    lets those anchors regress edges that lie up to one stride behind them).
    """

    def __init__(self, nc: int, topk: int = 10, alpha: float = 0.5, beta: float = 6.0, eps: float = 1e-9):
        self.nc, self.topk, self.alpha, self.beta, self.eps = nc, topk, alpha, beta, eps

    @torch.no_grad()
    def __call__(self, pd_scores, pd_boxes, anchors, strides, gt_labels, gt_boxes, mask_gt):
        b, na, _ = pd_scores.shape
        nmax = gt_boxes.shape[1]
        device = pd_scores.device
        if nmax == 0:
            return (torch.zeros_like(pd_boxes), torch.zeros_like(pd_scores),
                    torch.zeros(b, na, dtype=torch.bool, device=device))
        centre = (gt_boxes[..., :2] + gt_boxes[..., 2:]) / 2  # (b, nmax, 2)
        half = (gt_boxes[..., 2:] - gt_boxes[..., :2]) / 2
        reach = torch.max(half.unsqueeze(2), 0.75 * strides.view(1, 1, na, 1))  # (b, nmax, na, 2)
        offset = (anchors.view(1, 1, na, 2) - centre.unsqueeze(2)).abs()
        mask_in = (offset < reach).all(-1) & mask_gt.bool()  # (b, nmax, na)

        labels = gt_labels.long().squeeze(-1).clamp(0)  # (b, nmax)
        scores = pd_scores.permute(0, 2, 1).gather(1, labels.unsqueeze(-1).expand(-1, -1, na))  # (b, nmax, na)
        overlaps = box_iou(gt_boxes.unsqueeze(2), pd_boxes.unsqueeze(1)).clamp(0) * mask_in
        align = scores.pow(self.alpha) * overlaps.pow(self.beta) * mask_in

        topk_idx = align.topk(self.topk, dim=-1).indices
        mask_topk = torch.zeros_like(align).scatter_(-1, topk_idx, 1.0)
        mask_pos = mask_topk * mask_in
        fg = mask_pos.sum(1)  # (b, na)
        if (fg > 1).any():
            # An anchor claimed by several boxes goes to the one it overlaps most.
            multi = (fg.unsqueeze(1) > 1).expand(-1, nmax, -1)
            best = F.one_hot(overlaps.argmax(1), nmax).permute(0, 2, 1).to(mask_pos.dtype)
            mask_pos = torch.where(multi, best, mask_pos)
            fg = mask_pos.sum(1)
        target_gt = mask_pos.argmax(1)  # (b, na)
        flat = target_gt + torch.arange(b, device=device).unsqueeze(1) * nmax
        target_labels = labels.flatten()[flat]
        target_boxes = gt_boxes.view(-1, 4)[flat]
        target_scores = F.one_hot(target_labels, self.nc).float() * (fg > 0).unsqueeze(-1)

        align = align * mask_pos
        pos_align = align.amax(-1, keepdim=True)
        pos_overlap = (overlaps * mask_pos).amax(-1, keepdim=True)
        norm = (align * pos_overlap / (pos_align + self.eps)).amax(1).unsqueeze(-1)
        return target_boxes, target_scores * norm, fg > 0


class DetectionLoss:
    def __init__(self, nc: int, reg_max: int, box: float = 7.5, cls: float = 0.5, dfl: float = 1.5):
        self.nc, self.reg_max = nc, reg_max
        self.gains = (box, cls, dfl)
        self.assigner = TaskAlignedAssigner(nc)

    def __call__(self, outs: list[torch.Tensor], targets: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (loss scaled by batch size for backward, detached [box, cls, dfl] per image)."""
        b = outs[0].shape[0]
        device = outs[0].device
        anchors, strides = make_anchors(outs)
        pred = torch.cat([o.view(b, 4 * self.reg_max + self.nc, -1) for o in outs], 2).permute(0, 2, 1)
        distri, logits = pred.split((4 * self.reg_max, self.nc), -1)
        pred_boxes = dist2bbox(dfl_decode(distri, self.reg_max), anchors)  # grid units

        nmax = max((len(t) for t in targets), default=0)
        gt = torch.zeros(b, nmax, 5, device=device)
        mask_gt = torch.zeros(b, nmax, 1, device=device)
        for i, t in enumerate(targets):
            if len(t):
                gt[i, : len(t)] = t.to(device)
                mask_gt[i, : len(t)] = 1
        target_boxes, target_scores, fg = self.assigner(
            logits.detach().sigmoid(), (pred_boxes.detach() * strides).to(gt.dtype), anchors * strides,
            strides, gt[..., :1], gt[..., 1:], mask_gt,
        )
        score_sum = target_scores.sum().clamp(min=1)
        loss_cls = F.binary_cross_entropy_with_logits(logits, target_scores.to(logits.dtype), reduction="sum") / score_sum
        loss_box = torch.zeros((), device=device)
        loss_dfl = torch.zeros((), device=device)
        if fg.any():
            weight = target_scores.sum(-1)[fg].unsqueeze(-1)
            tb = target_boxes / strides
            iou = box_iou(pred_boxes[fg], tb[fg], ciou=True)
            loss_box = ((1 - iou).unsqueeze(-1) * weight).sum() / score_sum
            anc = anchors.unsqueeze(0).expand(b, -1, -1)[fg]
            ltrb = torch.cat((anc - tb[fg][:, :2], tb[fg][:, 2:] - anc), -1) + DFL_MARGIN
            ltrb = ltrb.clamp(0, self.reg_max - 1 - 0.01)
            loss_dfl = (self._dfl(distri[fg].view(-1, self.reg_max), ltrb.view(-1)).view(-1, 4).mean(-1, keepdim=True)
                        * weight).sum() / score_sum
        parts = torch.stack((loss_box * self.gains[0], loss_cls * self.gains[1], loss_dfl * self.gains[2]))
        return parts.sum() * b, parts.detach()

    @staticmethod
    def _dfl(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Distribution focal loss: cross-entropy towards the two bins that bracket the target."""
        left = target.long()
        w_left = left + 1 - target
        return (F.cross_entropy(logits, left, reduction="none") * w_left
                + F.cross_entropy(logits, left + 1, reduction="none") * (1 - w_left))
