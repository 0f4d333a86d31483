"""A compact anchor-free detector in the YOLOv8 mould: C2f backbone, PAN neck, decoupled head with DFL.

Sized for CPU serving at 320 px: about a quarter of YOLOv8n's compute, same output contract.
"""

import math

import torch
from torch import nn

STRIDES = (8, 16, 32)
# Distances are decoded as expectation over bins minus this margin (in stride units), so an anchor
# up to one stride outside a small box can still regress its edges exactly. Ultralytics uses 0; the
# export decodes the margin inside the graph, so consumers see ordinary xywh boxes.
DFL_MARGIN = 1.0


class Conv(nn.Module):
    def __init__(self, c1: int, c2: int, k: int = 1, s: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c: int, shortcut: bool):
        super().__init__()
        self.cv1 = Conv(c, c, 3)
        self.cv2 = Conv(c, c, 3)
        self.add = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    def __init__(self, c1: int, c2: int, n: int = 1, shortcut: bool = False):
        super().__init__()
        self.c = c2 // 2
        self.cv1 = Conv(c1, 2 * self.c, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, shortcut) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = list(self.cv1(x).chunk(2, 1))
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c1: int, c2: int, k: int = 5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = Conv(c1, c_, 1)
        self.cv2 = Conv(c_ * 4, c2, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


class Head(nn.Module):
    """Decoupled box (DFL bins) and class branches per level; raw logits out, decoding is separate."""

    def __init__(self, nc: int, channels: tuple[int, ...], reg_max: int, hidden: int):
        super().__init__()
        self.nc = nc
        self.reg_max = reg_max
        self.box = nn.ModuleList(
            nn.Sequential(Conv(c, hidden, 3), Conv(hidden, hidden, 3), nn.Conv2d(hidden, 4 * reg_max, 1))
            for c in channels
        )
        self.cls = nn.ModuleList(
            nn.Sequential(Conv(c, hidden, 3), Conv(hidden, hidden, 3), nn.Conv2d(hidden, nc, 1))
            for c in channels
        )

    def init_bias(self, imgsz: int) -> None:
        # Same priors as Ultralytics: box bins start flat, class logits start at a low object rate.
        for box, cls, s in zip(self.box, self.cls, STRIDES):
            box[-1].bias.data[:] = 1.0
            cls[-1].bias.data[: self.nc] = math.log(5 / self.nc / (imgsz / s) ** 2)

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        return [torch.cat((b(x), c(x)), 1) for x, b, c in zip(feats, self.box, self.cls)]


class Detector(nn.Module):
    def __init__(self, nc: int, width: tuple[int, ...] = (16, 32, 64, 96, 128), reg_max: int = 16):
        super().__init__()
        c1, c2, c3, c4, c5 = width
        self.nc = nc
        self.reg_max = reg_max
        self.stem = nn.Sequential(Conv(3, c1, 3, 2), Conv(c1, c2, 3, 2), C2f(c2, c2, 1, True))
        self.down3 = nn.Sequential(Conv(c2, c3, 3, 2), C2f(c3, c3, 2, True))
        self.down4 = nn.Sequential(Conv(c3, c4, 3, 2), C2f(c4, c4, 2, True))
        self.down5 = nn.Sequential(Conv(c4, c5, 3, 2), C2f(c5, c5, 1, True), SPPF(c5, c5))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.td4 = C2f(c5 + c4, c4)
        self.td3 = C2f(c4 + c3, c3)
        self.bu3 = Conv(c3, c3, 3, 2)
        self.bu4 = C2f(c3 + c4, c4)
        self.bu4d = Conv(c4, c4, 3, 2)
        self.bu5 = C2f(c4 + c5, c5)
        self.head = Head(nc, (c3, c4, c5), reg_max, hidden=32)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        p3 = self.down3(self.stem(x))
        p4 = self.down4(p3)
        p5 = self.down5(p4)
        t4 = self.td4(torch.cat((self.up(p5), p4), 1))
        n3 = self.td3(torch.cat((self.up(t4), p3), 1))
        n4 = self.bu4(torch.cat((self.bu3(n3), t4), 1))
        n5 = self.bu5(torch.cat((self.bu4d(n4), p5), 1))
        return self.head([n3, n4, n5])


def make_anchors(feats: list[torch.Tensor], offset: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """Anchor centres in grid units per level, concatenated, with each anchor's stride."""
    points, strides = [], []
    for f, s in zip(feats, STRIDES):
        h, w = f.shape[2:]
        sy = torch.arange(h, dtype=f.dtype, device=f.device) + offset
        sx = torch.arange(w, dtype=f.dtype, device=f.device) + offset
        gy, gx = torch.meshgrid(sy, sx, indexing="ij")
        points.append(torch.stack((gx, gy), -1).view(-1, 2))
        strides.append(torch.full((h * w, 1), float(s), dtype=f.dtype, device=f.device))
    return torch.cat(points), torch.cat(strides)


def dfl_decode(distri: torch.Tensor, reg_max: int) -> torch.Tensor:
    """(..., 4*reg_max) bin logits -> (..., 4) ltrb distances in stride units."""
    proj = torch.arange(reg_max, dtype=distri.dtype, device=distri.device)
    d = distri.view(*distri.shape[:-1], 4, reg_max).softmax(-1)
    return (d * proj).sum(-1) - DFL_MARGIN


def dist2bbox(dist: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    lt, rb = dist.chunk(2, -1)
    return torch.cat((anchors - lt, anchors + rb), -1)


class ExportWrapper(nn.Module):
    """Raw head -> Ultralytics v8 layout [B, 4+nc, N]: cx, cy, w, h in input pixels, then class sigmoids."""

    def __init__(self, model: Detector, imgsz: int):
        super().__init__()
        self.model = model
        feats = [torch.zeros(1, 1, imgsz // s, imgsz // s) for s in STRIDES]
        anchors, strides = make_anchors(feats)
        self.register_buffer("anchors", anchors.t().unsqueeze(0))  # (1, 2, N)
        self.register_buffer("strides", strides.t().unsqueeze(0))  # (1, 1, N)
        proj = torch.arange(model.reg_max, dtype=torch.float32).view(1, model.reg_max, 1, 1)
        self.register_buffer("proj", proj)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = self.model(x)
        b = x.shape[0]
        nc, reg_max = self.model.nc, self.model.reg_max
        flat = torch.cat([o.view(b, 4 * reg_max + nc, -1) for o in outs], 2)
        box, cls = flat.split((4 * reg_max, nc), 1)
        # DFL as softmax over bins then a fixed 1x1 projection, the form Ultralytics exports.
        n = box.shape[2]
        d = box.view(b, 4, reg_max, n).transpose(1, 2).softmax(1)
        dist = (d * self.proj).sum(1) - DFL_MARGIN  # (b, 4, N)
        lt, rb = dist.split(2, 1)
        x1y1 = self.anchors - lt
        x2y2 = self.anchors + rb
        xywh = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * self.strides
        return torch.cat((xywh, cls.sigmoid()), 1)
