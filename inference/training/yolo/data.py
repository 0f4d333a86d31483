"""YOLO-format datasets, letterboxed or tiled exactly as the inference service does, held in memory as uint8.

Images are resized once (long side -> imgsz, bilinear with antialiasing as libvips' linear kernel
does); each batch then pastes them onto a grey-114 canvas, at the centre for validation and at a
random place with flips, transposes and photometric jitter for training.

Films the service would tile (letterboxing would shrink them more than AUTO_MAX_SHRINK times, the
service's `auto` rule) are instead cut into model-input-sized tiles at the film's own resolution,
on the service's grid (tile·(1−overlap) stride, the last tile flush with the far edge); each tile is
one sample. `TileSampler` then draws every tile with a defect and EMPTY_TILES_PER_DEFECT_TILE as
many empty ones per epoch, so the mostly empty length of a strip does not swamp its defects.
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
# The service's `auto` tiling: tile when letterboxing would shrink the film more than this, with
# tiles of the model input's size overlapping by this fraction (inference/src/image/tiling.ts).
AUTO_MAX_SHRINK = 4
TILE_OVERLAP = 0.2
# A box cut by a tile edge is kept when at least this fraction of it lies in the tile (and it is
# at least MIN_TILE_BOX_PX on each side there); the sliver beyond is the neighbouring tile's.
MIN_VISIBLE_FRACTION = 0.4
MIN_TILE_BOX_PX = 2
# Empty tiles drawn per epoch for each tile with a defect (one empty tile to four with defects).
EMPTY_TILES_PER_DEFECT_TILE = 0.25


@dataclass
class Sample:
    image: torch.Tensor  # (h, w) uint8, scaled so the long side is imgsz, or one tile of at most imgsz
    boxes: torch.Tensor  # (n, 5): class, x1, y1, x2, y2 in the scaled image's (or tile's) pixels
    path: str
    tile: bool = False


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


def read_labels(image_path: Path, w: int, h: int, scale: float, keep: dict[int, int] | None) -> torch.Tensor:
    """(n, 5) class, x1, y1, x2, y2 in pixels of the image scaled by `scale`; `keep` maps dataset class
    ids to training ids (others dropped)."""
    rows = []
    lp = label_path(image_path)
    if lp.exists():
        for line in lp.read_text().splitlines():
            if not line.strip():
                continue
            c, cx, cy, bw, bh = (float(v) for v in line.split()[:5])
            if keep is not None:
                if int(c) not in keep:
                    continue
                c = keep[int(c)]
            rows.append([c, (cx - bw / 2) * w * scale, (cy - bh / 2) * h * scale,
                         (cx + bw / 2) * w * scale, (cy + bh / 2) * h * scale])
    return torch.tensor(rows, dtype=torch.float32).view(-1, 5)


def axis_origins(length: int, tile: int, overlap: float) -> list[int]:
    """Tile origins along one axis, as the service's `axisOrigins`."""
    if length <= tile:
        return [0]
    stride = max(1, math.floor(tile * (1 - overlap)))
    count = math.ceil((length - tile) / stride) + 1
    return [min(i * stride, length - tile) for i in range(count)]


def cut_tiles(image: torch.Tensor, boxes: torch.Tensor, tile: int, path: str,
              overlap: float = TILE_OVERLAP) -> list[Sample]:
    """tile × tile windows (smaller only where the image is) with the boxes clipped to each window."""
    h, w = image.shape
    area = (boxes[:, 3] - boxes[:, 1]) * (boxes[:, 4] - boxes[:, 2])
    tiles = []
    for top in axis_origins(h, tile, overlap):
        for left in axis_origins(w, tile, overlap):
            th, tw = min(tile, h - top), min(tile, w - left)
            out = boxes.clone()
            out[:, [1, 3]] = (out[:, [1, 3]] - left).clamp(0, tw)
            out[:, [2, 4]] = (out[:, [2, 4]] - top).clamp(0, th)
            bw, bh = out[:, 3] - out[:, 1], out[:, 4] - out[:, 2]
            keep = (bw * bh >= MIN_VISIBLE_FRACTION * area) & (bw >= MIN_TILE_BOX_PX) & (bh >= MIN_TILE_BOX_PX)
            tiles.append(Sample(image[top : top + th, left : left + tw], out[keep], f"{path}@{left},{top}", True))
    return tiles


def load_split(cfg: dict, split: str, imgsz: int, limit: int | None = None, tile_size: int | None = None,
               keep: dict[int, int] | None = None) -> list[Sample]:
    """Letterboxed samples, or tiles for films the service tiles.

    `tile_size` None: `auto`, tiles of imgsz film pixels for films whose long side exceeds
    AUTO_MAX_SHRINK × imgsz; 0: never tile; N: tile every film longer than N into N-pixel windows
    (scaled to imgsz, as the service scales an explicit tile size).
    """
    folder = cfg["root"] / cfg[split]
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if limit is not None:
        paths = paths[:limit]
    samples = []
    for p in paths:
        img = load_grey(p)
        w, h = img.size
        tile = imgsz if tile_size is None and max(w, h) > AUTO_MAX_SHRINK * imgsz else tile_size or None
        if tile is not None and max(w, h) > tile:
            scale = imgsz / tile
            if scale != 1:
                img = img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BILINEAR)
            image = torch.from_numpy(np.array(img, dtype=np.uint8))
            samples += cut_tiles(image, read_labels(p, w, h, scale, keep), imgsz, str(p))
            continue
        scale, rw, rh = letterbox_geometry(w, h, imgsz)
        resized = img.resize((rw, rh), Image.BILINEAR)
        samples.append(Sample(torch.from_numpy(np.array(resized, dtype=np.uint8)),
                              read_labels(p, w, h, scale, keep), str(p)))
    return samples


class TileSampler:
    """Each epoch's samples: every whole film and tile with a defect, and a fresh random draw of
    EMPTY_TILES_PER_DEFECT_TILE empty tiles per tile with a defect (all of them if there are fewer)."""

    def __init__(self, samples: list[Sample], empty_per_defect: float = EMPTY_TILES_PER_DEFECT_TILE):
        self.kept = [s for s in samples if not s.tile or len(s.boxes)]
        self.empty = [s for s in samples if s.tile and not len(s.boxes)]
        defect_tiles = sum(1 for s in samples if s.tile and len(s.boxes))
        self.draw = min(len(self.empty), round(empty_per_defect * defect_tiles))

    def __len__(self) -> int:
        return len(self.kept) + self.draw

    def epoch(self, rng: random.Random) -> list[Sample]:
        return self.kept + rng.sample(self.empty, self.draw)


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
