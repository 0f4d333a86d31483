"""YOLO-format datasets, letterboxed exactly as the inference service does, held in memory as uint8.

Images are resized once (long side -> imgsz, bilinear with antialiasing as libvips' linear kernel
does); each batch then pastes them onto a grey-114 canvas, at the centre for validation and at a
random place with flips, transposes and photometric jitter for training.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import yaml
from PIL import Image

PAD_VALUE = 114
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"}


@dataclass
class Sample:
    image: torch.Tensor  # (h, w) uint8, already scaled so the long side is imgsz
    boxes: torch.Tensor  # (n, 5): class, x1, y1, x2, y2 in the scaled image's pixels
    path: str


def read_data_yaml(path: Path) -> dict:
    with open(path) as f:
        cfg = yaml.safe_load(f)
    names = cfg["names"]
    if isinstance(names, list):
        names = dict(enumerate(names))
    cfg["names"] = {int(k): str(v) for k, v in names.items()}
    root = Path(cfg.get("path") or path.parent)
    cfg["root"] = root if root.is_absolute() else path.parent / root
    return cfg


def label_path(image_path: Path) -> Path:
    """Ultralytics convention: the last `images` folder in the path becomes `labels`."""
    parts = list(image_path.parts)
    i = len(parts) - 1 - parts[::-1].index("images")
    parts[i] = "labels"
    return Path(*parts).with_suffix(".txt")


def letterbox_geometry(w: int, h: int, imgsz: int) -> tuple[float, int, int]:
    """Scale and resized size, the same arithmetic as Ultralytics' LetterBox and the service."""
    scale = min(imgsz / w, imgsz / h)
    return scale, min(imgsz, max(1, round(w * scale))), min(imgsz, max(1, round(h * scale)))


def load_grey(path: Path) -> Image.Image:
    img = Image.open(path)
    if img.mode in ("I;16", "I;16B", "I"):
        # 16-bit greyscale: keep the top 8 bits, as the service's 8-bit decode does.
        arr = np.asarray(img, dtype=np.uint32) >> 8
        return Image.fromarray(arr.astype(np.uint8), "L")
    return img.convert("L")


def load_split(cfg: dict, split: str, imgsz: int, limit: int | None = None) -> list[Sample]:
    folder = cfg["root"] / cfg[split]
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if limit is not None:
        paths = paths[:limit]
    samples = []
    for p in paths:
        img = load_grey(p)
        w, h = img.size
        scale, rw, rh = letterbox_geometry(w, h, imgsz)
        resized = img.resize((rw, rh), Image.BILINEAR)
        rows = []
        lp = label_path(p)
        if lp.exists():
            for line in lp.read_text().splitlines():
                if not line.strip():
                    continue
                c, cx, cy, bw, bh = (float(v) for v in line.split()[:5])
                rows.append([c, (cx - bw / 2) * w * scale, (cy - bh / 2) * h * scale,
                             (cx + bw / 2) * w * scale, (cy + bh / 2) * h * scale])
        boxes = torch.tensor(rows, dtype=torch.float32).view(-1, 5)
        samples.append(Sample(torch.from_numpy(np.array(resized, dtype=np.uint8)), boxes, str(p)))
    return samples


def _photometric(img: torch.Tensor, rng: random.Random) -> torch.Tensor:
    """Film-like variation: contrast, brightness, gamma and extra grain, on the image area only."""
    x = img.float() / 255
    x = x.clamp(1e-4, 1) ** rng.uniform(0.7, 1.4)
    x = (x - 0.5) * rng.uniform(0.75, 1.3) + 0.5 + rng.uniform(-0.1, 0.1)
    if rng.random() < 0.3:
        x = x + torch.randn(x.shape, generator=torch.Generator().manual_seed(rng.getrandbits(31))) * rng.uniform(0, 0.02)
    return (x.clamp(0, 1) * 255).round().to(torch.uint8)


def _transpose(img: torch.Tensor, boxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return img.t().contiguous(), boxes[:, [0, 2, 1, 4, 3]]


def shape_batches(samples: list[Sample], batch: int, rng: random.Random) -> list[list[int]]:
    """Training batches of similar landscape height (portrait images count transposed).

    Like Ultralytics' rect mode: a batch of long strips then needs a short canvas, which saves about
    40 % of the compute on this data. Sorting on a jittered height varies the batches every epoch.
    """
    short = [min(s.image.shape) for s in samples]
    order = sorted(range(len(samples)), key=lambda i: short[i] + rng.uniform(0, 48))
    batches = [order[i : i + batch] for i in range(0, len(order), batch)]
    rng.shuffle(batches)
    return batches


def _crop(img: torch.Tensor, boxes: torch.Tensor, size: int, rng: random.Random) -> tuple[torch.Tensor, torch.Tensor]:
    """A window of at most size × size, usually around a random object; cut boxes keep their visible part
    when at least 40 % of it is visible, as Ultralytics' random_perspective keeps clipped boxes."""
    h, w = img.shape
    ch, cw = min(size, h), min(size, w)
    if len(boxes) and rng.random() < 0.8:
        c, x1, y1, x2, y2 = boxes[rng.randrange(len(boxes))].tolist()
        cx, cy = rng.uniform(x1, x2), rng.uniform(y1, y2)
        left = int(min(max(0, cx - rng.uniform(0.1, 0.9) * cw), w - cw))
        top = int(min(max(0, cy - rng.uniform(0.1, 0.9) * ch), h - ch))
    else:
        left, top = rng.randint(0, w - cw), rng.randint(0, h - ch)
    out = boxes.clone()
    out[:, [1, 3]] = (out[:, [1, 3]] - left).clamp(0, cw)
    out[:, [2, 4]] = (out[:, [2, 4]] - top).clamp(0, ch)
    area = (boxes[:, 3] - boxes[:, 1]) * (boxes[:, 4] - boxes[:, 2])
    visible = (out[:, 3] - out[:, 1]) * (out[:, 4] - out[:, 2])
    keep = (visible >= 0.4 * area) & (out[:, 3] - out[:, 1] >= 2) & (out[:, 4] - out[:, 2] >= 2)
    return img[top : top + ch, left : left + cw], out[keep]


def make_batch(samples: list[Sample], imgsz: int, rng: random.Random | None,
               crop: int | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Batch (B, 3, H, W) in [0, 1] and per-image (n, 5) targets in input pixels.

    Without `rng`: imgsz × imgsz, each image centred exactly as the service letterboxes it. With
    `rng`: augmented, at random places, the whole batch transposed half of the time, on `crop`-sized
    windows (three batches in four, when given) or else on the smallest multiple-of-32 canvas that
    holds the batch. Crops cut CPU training cost roughly in half; the full canvases keep the model
    used to the letterbox padding it meets in service.
    """
    if rng is None:
        batch = torch.full((len(samples), 1, imgsz, imgsz), PAD_VALUE, dtype=torch.uint8)
        targets = []
        for i, s in enumerate(samples):
            h, w = s.image.shape
            left, top = round((imgsz - w) / 2 - 0.1), round((imgsz - h) / 2 - 0.1)
            batch[i, 0, top : top + h, left : left + w] = s.image
            boxes = s.boxes.clone()
            boxes[:, [1, 3]] += left
            boxes[:, [2, 4]] += top
            targets.append(boxes)
        return batch.expand(-1, 3, -1, -1).float() / 255, targets

    items = []
    for s in samples:
        img, boxes = _photometric(s.image, rng), s.boxes.clone()
        if img.shape[0] > img.shape[1]:
            img, boxes = _transpose(img, boxes)
        h, w = img.shape
        if rng.random() < 0.5:
            img = img.flip(1)
            boxes[:, [1, 3]] = w - boxes[:, [3, 1]]
        if rng.random() < 0.5:
            img = img.flip(0)
            boxes[:, [2, 4]] = h - boxes[:, [4, 2]]
        items.append((img, boxes))
    if crop and rng.random() < 0.75:
        items = [_crop(img, boxes, crop, rng) for img, boxes in items]
        height, width = crop, crop
    else:
        tallest = max(img.shape[0] for img, _ in items)
        height, width = min(imgsz, 32 * math.ceil(tallest / 32) + 32 * rng.randint(0, 1)), imgsz
    batch = torch.full((len(items), 1, height, width), PAD_VALUE, dtype=torch.uint8)
    targets = []
    for i, (img, boxes) in enumerate(items):
        h, w = img.shape
        left, top = rng.randint(0, width - w), rng.randint(0, height - h)
        batch[i, 0, top : top + h, left : left + w] = img
        boxes[:, [1, 3]] += left
        boxes[:, [2, 4]] += top
        targets.append(boxes)
    if rng.random() < 0.5:
        batch = batch.transpose(2, 3)
        targets = [t[:, [0, 2, 1, 4, 3]] for t in targets]
    return batch.expand(-1, 3, -1, -1).float() / 255, targets
