"""Rebuilds a trainable torch Detector from an ONNX file that export.py wrote (the shipped model).

    /usr/bin/python3 inference/training/yolo/from_onnx.py --onnx inference/models/weld-defects.onnx \
        --out /tmp/ndt/base.pt [--calibrate <dataset>/data.yaml] [--probe /tmp/ndt/probe]

The export runs in eval mode with constant folding, so each Conv + BatchNorm pair arrives as one
convolution with a bias: its weight goes into the conv and its bias into a BatchNorm that is the
identity in eval mode. That reproduces the ONNX outputs exactly, but a BatchNorm in train mode
normalises by the batch statistics, which would throw away the scale folded into each conv on the
first step. `calibrate_batchnorm` therefore gives each BatchNorm the statistics of its conv's
outputs on real films while keeping its eval-mode affine map unchanged, so fine-tuning starts from
the same function in both modes. train.py does this itself on its training images (--base).

Convolutions are matched to the graph's Conv nodes in execution order and checked by shape; the
rebuilt model is then verified numerically against the ONNX file with onnxruntime
(`bun inference/training/onnx-parity.ts`, fed by --probe).
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path
from typing import Iterable

import onnx
import torch
from onnx import numpy_helper
from torch import nn

from model import STRIDES, Conv, Detector, ExportWrapper


def read_metadata(proto: onnx.ModelProto) -> tuple[dict[int, str], int]:
    meta = {p.key: p.value for p in proto.metadata_props}
    if meta.get("task", "detect") != "detect" or meta.get("end2end", "False") != "False":
        raise ValueError("only export.py's detect models (Ultralytics v8 layout) can be rebuilt")
    names = {int(k): str(v) for k, v in ast.literal_eval(meta["names"]).items()}
    imgsz = ast.literal_eval(meta["imgsz"])
    return names, int(imgsz[0] if isinstance(imgsz, (list, tuple)) else imgsz)


def convs_in_execution_order(model: Detector, imgsz: int) -> list[nn.Conv2d]:
    order: list[nn.Conv2d] = []
    hooks = [m.register_forward_hook(lambda m, i, o: order.append(m))
             for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, imgsz, imgsz))
    for h in hooks:
        h.remove()
    return order


def detector_from_onnx(path: Path) -> tuple[Detector, dict[int, str], int]:
    """The Detector whose eval-mode outputs equal the ONNX file's, with its class names and input size."""
    proto = onnx.load(str(path))
    names, imgsz = read_metadata(proto)
    weights = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    reg_max = int(weights["proj"].shape[1]) if "proj" in weights else 16
    model = Detector(len(names), reg_max=reg_max)
    anchors = sum((imgsz // s) ** 2 for s in STRIDES)
    if "anchors" in weights and weights["anchors"].shape[-1] != anchors:
        raise ValueError(f"{path}: {weights['anchors'].shape[-1]} anchors, expected {anchors} at {imgsz} px")
    nodes = [n for n in proto.graph.node if n.op_type == "Conv"]
    convs = convs_in_execution_order(model, imgsz)
    if len(nodes) != len(convs):
        raise ValueError(f"{path}: {len(nodes)} Conv nodes, the Detector has {len(convs)} convolutions")
    batchnorm = {id(m.conv): m.bn for m in model.modules() if isinstance(m, Conv)}
    with torch.no_grad():
        for conv, node in zip(convs, nodes):
            w = torch.from_numpy(weights[node.input[1]].copy())
            b = torch.from_numpy(weights[node.input[2]].copy())
            if w.shape != conv.weight.shape or b.shape != (conv.out_channels,):
                raise ValueError(f"{node.name}: weight {tuple(w.shape)} does not fit {tuple(conv.weight.shape)}")
            conv.weight.copy_(w)
            if conv.bias is not None:
                conv.bias.copy_(b)
                continue
            bn = batchnorm[id(conv)]
            bn.weight.fill_(1.0)
            bn.bias.copy_(b)
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
    return model.eval(), names, imgsz


@torch.no_grad()
def calibrate_batchnorm(model: Detector, batches: Iterable[torch.Tensor]) -> None:
    """Sets each BatchNorm's running statistics to its input's on `batches`, keeping its eval-mode map.

    A BatchNorm in eval mode is y = a·x + c (a = γ/√(var+ε), c = β − mean·a). With the measured mean m
    and variance v, γ' = a·√(v+ε) and β' = c + m·a give the same map, and in train mode batches like
    these normalise almost as in eval mode.
    """
    sums: dict[nn.BatchNorm2d, list[torch.Tensor]] = {}

    def record(bn: nn.BatchNorm2d, inputs: tuple[torch.Tensor, ...], _output: torch.Tensor) -> None:
        x = inputs[0].double()
        s = sums.setdefault(bn, [torch.zeros(x.shape[1], dtype=torch.float64) for _ in range(3)])
        s[0] += x.sum((0, 2, 3))
        s[1] += (x * x).sum((0, 2, 3))
        s[2] += x.numel() / x.shape[1]

    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    hooks = [bn.register_forward_hook(record) for bn in bns]
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    for x in batches:
        model(x.to(device))
    for h in hooks:
        h.remove()
    model.train(was_training)
    for bn in bns:
        total, squares, n = sums[bn]
        mean = total / n
        var = (squares / n - mean * mean).clamp_min(0)
        a = bn.weight.double() / (bn.running_var.double() + bn.eps).sqrt()
        c = bn.bias.double() - bn.running_mean.double() * a
        bn.running_mean.copy_(mean)
        bn.running_var.copy_(var)
        bn.weight.copy_(a * (var + bn.eps).sqrt())
        bn.bias.copy_(c + mean * a)


def write_probe(model: Detector, imgsz: int, prefix: Path, seed: int = 0) -> None:
    """A fixed input (noise and a flat grey image) and the rebuilt model's export-layout output, as raw
    little-endian float32 (`<prefix>.input.bin`, `<prefix>.output.bin`), for onnx-parity.ts."""
    g = torch.Generator().manual_seed(seed)
    x = torch.cat((torch.rand(1, 3, imgsz, imgsz, generator=g), torch.full((1, 3, imgsz, imgsz), 114 / 255)))
    with torch.no_grad():
        y = ExportWrapper(model.eval(), imgsz).eval()(x)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    x.numpy().astype("<f4").tofile(f"{prefix}.input.bin")
    y.numpy().astype("<f4").tofile(f"{prefix}.output.bin")
    print(f"probe: input {list(x.shape)} -> output {list(y.shape)} at {prefix}.*.bin")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", type=Path, required=True, help="an ONNX file written by export.py")
    ap.add_argument("--out", type=Path, default=None, help="write a train.py checkpoint (.pt) here")
    ap.add_argument("--calibrate", type=Path, default=None,
                    help="data.yaml whose train images set the BatchNorm statistics (train.py --base does this)")
    ap.add_argument("--calibrate-images", type=int, default=64)
    ap.add_argument("--probe", type=Path, default=None, help="write a probe input and output for onnx-parity.ts")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, names, imgsz = detector_from_onnx(args.onnx)
    if args.calibrate:
        from data import load_split, make_batch, read_data_yaml

        samples = load_split(read_data_yaml(args.calibrate), "train", imgsz, args.calibrate_images)
        calibrate_batchnorm(model, (make_batch(samples[i : i + 8], imgsz, None)[0] for i in range(0, len(samples), 8)))
    if args.probe:
        write_probe(model, imgsz, args.probe)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"model": model.state_dict(), "nc": len(names), "names": names, "imgsz": imgsz,
                    "epoch": -1, "metrics": {}, "args": {"onnx": args.onnx.name}}, args.out)
        print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    print(f"rebuilt {args.onnx.name}: {len(names)} classes, {imgsz} px, "
          f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters")


if __name__ == "__main__":
    main()
