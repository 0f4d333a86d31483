"""Writes a run's dataset in the Ultralytics layout the trainer reads (yolo/data.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from errors import TrainError

SUFFIXES = {"png": ".png", "jpeg": ".jpg", "tiff": ".tif", "webp": ".webp"}


def label_lines(boxes: list[dict], width: int, height: int) -> list[str]:
    """YOLO label lines (class cx cy w h, normalised) of pixel boxes, clipped to the image."""
    lines = []
    for box in boxes:
        x1, x2 = sorted((max(0.0, min(width, box["x1"])), max(0.0, min(width, box["x2"]))))
        y1, y2 = sorted((max(0.0, min(height, box["y1"])), max(0.0, min(height, box["y2"]))))
        if x2 - x1 <= 0 or y2 - y1 <= 0:
            continue
        cx, cy = (x1 + x2) / 2 / width, (y1 + y2) / 2 / height
        lines.append(f"{box['classId']} {cx:.6f} {cy:.6f} {(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}")
    return lines


def write_dataset(root: Path, classes: list[str], items: list[dict], fetch) -> Path:
    """Downloads each item with `fetch(url)`, checks its sha256, and writes images, labels and
    data.yaml under `root`; answers data.yaml's path."""
    counts = {"train": 0, "val": 0}
    for index, item in enumerate(items):
        suffix = SUFFIXES.get(item["format"])
        if suffix is None:
            raise TrainError("dataset_invalid", f"{item['key']}: {item['format']} images cannot be trained on")
        data = fetch(item["url"])
        if hashlib.sha256(data).hexdigest() != item["sha256"]:
            raise TrainError("dataset_fetch_failed", f"{item['key']}: downloaded bytes do not match its sha256")
        split = item["split"]
        name = f"{index:06d}"
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        (root / "images" / split / f"{name}{suffix}").write_bytes(data)
        lines = label_lines(item["boxes"], item["width"], item["height"])
        (root / "labels" / split / f"{name}.txt").write_text("".join(f"{line}\n" for line in lines))
        counts[split] += 1
    if counts["train"] == 0 or counts["val"] == 0:
        raise TrainError("dataset_invalid", f"needs images in both splits, has {counts}")
    config = {"path": str(root), "train": "images/train", "val": "images/val",
              "names": dict(enumerate(classes))}
    (root / "data.yaml").write_text(yaml.safe_dump(config))
    return root / "data.yaml"
