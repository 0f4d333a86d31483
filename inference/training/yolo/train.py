"""Trains the compact detector on a YOLO-format dataset and exports the best checkpoint to ONNX.

    /usr/bin/python3 inference/training/yolo/train.py --data <dataset>/data.yaml --out <run dir> \
        --imgsz 320 --epochs 12 --batch 16 --seed 0

Fine-tuning: --base <model.onnx or checkpoint.pt> starts from a model's weights (an ONNX file
from export.py, e.g. the shipped one, is rebuilt by from_onnx.py and its BatchNorm statistics
calibrated on the training images). When the class list differs from the base model's, the backbone,
neck, box/DFL branches and the class branch's hidden layers are kept and only the final class
convolutions are re-initialised (rows of classes the base model knows by name are carried over).
--classes trains on a subset of data.yaml's classes. Films the service would tile are cut into tiles
at their own resolution (--tile-size; see data.py).

Runs on CPU-only torch 1.13 and on torch 2.x with CUDA (picked automatically; --device to force).
Writes <run dir>/{last.pt, best.pt, best.onnx, log.jsonl}.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

from data import TileSampler, load_split, make_batch, read_data_yaml, shape_batches
from export import export_onnx
from from_onnx import calibrate_batchnorm, detector_from_onnx
from loss import DetectionLoss
from metrics import evaluate, nms
from model import Detector, ExportWrapper


def seed_everything(seed: int) -> None:
    # cuBLAS needs this before CUDA initialises to run deterministically.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False


class ModelEMA:
    """Exponential moving average of weights, ramped in early on (as Ultralytics does)."""

    def __init__(self, model: torch.nn.Module, decay: float = 0.9999, tau: float = 500):
        self.ema = copy.deepcopy(model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.decay, self.tau, self.updates = decay, tau, 0

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        state = model.state_dict()
        for k, v in self.ema.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(state[k].detach(), alpha=1 - d)


def param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    decay, no_decay = [], []
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            (no_decay if name == "bias" or isinstance(module, torch.nn.BatchNorm2d) else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def load_base(path: Path) -> tuple[Detector, dict[int, str], int]:
    """A model's weights, class names and input size, from an export.py ONNX file or a train.py checkpoint."""
    if path.suffix == ".onnx":
        return detector_from_onnx(path)
    ckpt = torch.load(path, map_location="cpu")
    model = Detector(ckpt["nc"])
    model.load_state_dict(ckpt["model"])
    return model, {int(k): v for k, v in ckpt["names"].items()}, int(ckpt["imgsz"])


def adapt_head(base: Detector, base_names: dict[int, str], names: dict[int, str], imgsz: int) -> Detector:
    """A Detector for `names` with all of `base`'s weights except the final class convolutions,
    which start fresh (prior bias) apart from the rows of classes `base` already knows by name."""
    model = Detector(len(names))
    model.head.init_bias(imgsz)
    fresh = model.state_dict()
    state = base.state_dict()
    index = {v: k for k, v in base_names.items()}
    for level in range(len(model.head.cls)):
        for part in ("weight", "bias"):
            key = f"head.cls.{level}.2.{part}"
            new = fresh[key].clone()
            for i, name in sorted(names.items()):
                if name in index:
                    new[i] = state[key][index[name]]
            state[key] = new
    model.load_state_dict(state)
    return model


BACKBONE = ("stem", "down3", "down4", "down5")


def set_backbone_frozen(model: Detector, frozen: bool) -> None:
    """Frozen: no gradients and BatchNorm statistics held (eval mode) in the backbone."""
    for name in BACKBONE:
        part = getattr(model, name)
        part.requires_grad_(not frozen)
        if frozen:
            part.eval()


@torch.no_grad()
def validate(model: torch.nn.Module, samples, imgsz: int, nc: int, device: torch.device, batch: int) -> dict:
    wrapper = ExportWrapper(model, imgsz).to(device).eval()
    detections, targets = [], []
    for i in range(0, len(samples), batch):
        x, t = make_batch(samples[i : i + batch], imgsz, None)
        out = wrapper(x.to(device)).float().cpu()
        detections += nms(out)
        targets += [tt.numpy() for tt in t]
    return evaluate(detections, targets, nc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--imgsz", type=int, default=320)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=0.002)
    ap.add_argument("--crop", type=int, default=192, help="training window size (multiple of 32); 0: whole canvases")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="hours; after the first epoch the epoch count is reduced to fit (as Ultralytics' `time`)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="CPU threads for torch")
    ap.add_argument("--device", default=None, help="cpu or cuda; default: cuda when available")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N images per split (smoke tests)")
    ap.add_argument("--max-steps", type=int, default=None, help="stop after N optimiser steps (smoke tests)")
    ap.add_argument("--base", "--weights", dest="base", type=Path, default=None,
                    help="start from this model: an export.py ONNX file (e.g. the shipped one) or a train.py checkpoint")
    ap.add_argument("--classes", default=None,
                    help="comma-separated subset of data.yaml's names to train (default: all of them)")
    ap.add_argument("--freeze-backbone-epochs", type=int, default=0,
                    help="keep the base model's backbone fixed for the first N epochs")
    ap.add_argument("--tile-size", default="auto",
                    help="auto: tiles of --imgsz film pixels for films the service would tile; 0: off; "
                         "N: tile every film longer than N")
    ap.add_argument("--model-version", default="1.0.0")
    args = ap.parse_args()

    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    args.out.mkdir(parents=True, exist_ok=True)
    cfg = read_data_yaml(args.data)
    keep = None
    names = cfg["names"]
    if args.classes:
        wanted = [c.strip() for c in args.classes.split(",") if c.strip()]
        ids = {v: k for k, v in names.items()}
        unknown = [c for c in wanted if c not in ids]
        if unknown:
            raise SystemExit(f"--classes: {', '.join(unknown)} not in {args.data} ({', '.join(names.values())})")
        keep = {ids[c]: i for i, c in enumerate(wanted)}
        names = dict(enumerate(wanted))
    nc = len(names)
    tile_size = None if args.tile_size == "auto" else int(args.tile_size)

    t0 = time.time()
    train = load_split(cfg, "train", args.imgsz, args.limit, tile_size, keep)
    val = load_split(cfg, "val", args.imgsz, args.limit, tile_size, keep)
    sampler = TileSampler(train)
    tiles = sum(s.tile for s in train)
    print(f"loaded {len(train)} train ({tiles} tiles, {len(sampler)} per epoch) / {len(val)} val samples "
          f"in {time.time() - t0:.0f}s on {device}", flush=True)

    if args.base:
        base, base_names, base_imgsz = load_base(args.base)
        if base_imgsz != args.imgsz:
            raise SystemExit(f"{args.base} takes {base_imgsz} px inputs, --imgsz is {args.imgsz}")
        if args.base.suffix == ".onnx":
            calib = train[: 8 * args.batch]
            calibrate_batchnorm(base, (make_batch(calib[i : i + args.batch], args.imgsz, None)[0]
                                       for i in range(0, len(calib), args.batch)))
        model = base if base_names == names else adapt_head(base, base_names, names, args.imgsz)
        print(f"base {args.base.name}: {len(base_names)} classes"
              f"{'' if base_names == names else f', new class head for {nc}'}", flush=True)
    else:
        model = Detector(nc)
        model.head.init_bias(args.imgsz)
    model = model.to(device)
    ema = ModelEMA(model)
    optimizer = torch.optim.AdamW(param_groups(model, 5e-4), lr=args.lr, betas=(0.937, 0.999))
    criterion = DetectionLoss(nc, model.reg_max)
    steps_per_epoch = math.ceil(len(sampler) / args.batch)
    total_steps = args.max_steps or steps_per_epoch * args.epochs
    warmup = min(300, max(1, total_steps // 5))

    def lr_at(step: int) -> float:
        if step < warmup:
            return args.lr * (step + 1) / warmup
        progress = (step - warmup) / max(1, total_steps - warmup)
        return args.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress)))

    rng = random.Random(args.seed)
    best_fitness, step = -1.0, 0
    log = open(args.out / "log.jsonl", "a")
    t_start = time.time()
    epoch = -1
    while epoch + 1 < args.epochs and step < total_steps:
        epoch += 1
        model.train()
        set_backbone_frozen(model, epoch < args.freeze_backbone_epochs)
        epoch_samples = sampler.epoch(rng)
        batches = shape_batches(epoch_samples, args.batch, rng)
        running = torch.zeros(3)
        started = time.time()
        for k in range(steps_per_epoch):
            if step >= total_steps:
                break
            x, targets = make_batch([epoch_samples[i] for i in batches[k]], args.imgsz, rng,
                                    None if tiles else args.crop or None)
            for g in optimizer.param_groups:
                g["lr"] = lr_at(step)
            loss, parts = criterion(model(x.to(device)), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            optimizer.step()
            ema.update(model)
            running += parts.cpu()
            step += 1
            if k % 50 == 0:
                rate = (k + 1) * args.batch / (time.time() - started)
                box, cls, dfl = (running / (k + 1)).tolist()
                print(f"epoch {epoch} step {k}/{steps_per_epoch} box {box:.3f} cls {cls:.3f} dfl {dfl:.3f} "
                      f"lr {lr_at(step):.5f} {rate:.1f} img/s", flush=True)
        metrics = validate(ema.ema, val, args.imgsz, nc, device, args.batch)
        fitness = 0.1 * metrics["map50"] + 0.9 * metrics["map"]
        record = {"epoch": epoch, "step": step, "loss": (running / max(1, k + 1)).tolist(),
                  "map50": metrics["map50"], "map": metrics["map"], "ap50": metrics["ap50"], "ap": metrics["ap"],
                  "seconds": time.time() - started}
        log.write(json.dumps(record) + "\n")
        log.flush()
        print(f"epoch {epoch}: val mAP50 {metrics['map50']:.4f} mAP50-95 {metrics['map']:.4f} "
              f"({time.time() - started:.0f}s)", flush=True)
        checkpoint = {"model": ema.ema.state_dict(), "nc": nc, "names": names, "imgsz": args.imgsz,
                      "epoch": epoch, "metrics": metrics, "args": {k: str(v) for k, v in vars(args).items()}}
        torch.save(checkpoint, args.out / "last.pt")
        if fitness > best_fitness:
            best_fitness = fitness
            torch.save(checkpoint, args.out / "best.pt")
        if args.time_limit and epoch == 0:
            fit = max(1, int(args.time_limit * 3600 / (time.time() - t_start)))
            if fit < args.epochs:
                print(f"time limit: training {fit} epochs instead of {args.epochs}", flush=True)
                args.epochs = fit
                total_steps = min(total_steps, steps_per_epoch * fit)

    best = torch.load(args.out / "best.pt", map_location="cpu")
    model = Detector(nc)
    model.load_state_dict(best["model"])
    origin = f"fine-tuned from {args.base.name}" if args.base else "trained from scratch"
    description = (f"Weld radiograph defect detector (compact YOLOv8-style, {args.imgsz} px), {origin} "
                   f"on {args.data.parent.name} (training seed {args.seed})")
    export_onnx(model, args.imgsz, names, args.out / "best.onnx", description, args.model_version)
    print(f"best epoch {best['epoch']}: mAP50 {best['metrics']['map50']:.4f} mAP50-95 {best['metrics']['map']:.4f}; "
          f"exported {args.out / 'best.onnx'}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
