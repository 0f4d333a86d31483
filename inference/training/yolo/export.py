"""ONNX export in the Ultralytics v8 layout with Ultralytics-style metadata_props.

    /usr/bin/python3 inference/training/yolo/export.py --weights <run>/best.pt --out model.onnx

The output is [B, 4+nc, N] (cx, cy, w, h in input pixels, then class sigmoids, no objectness) with
a dynamic batch axis, named images/output0 like an Ultralytics export.
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

import onnx
import torch

from model import STRIDES, Detector, ExportWrapper

AUTHOR = "defect-detection-platform"
LICENSE = "Same licence as the defect-detection-platform repository"


def export_onnx(model: Detector, imgsz: int, names: dict[int, str], out: Path, description: str,
                version: str, opset: int = 17) -> None:
    wrapper = ExportWrapper(model.cpu().eval(), imgsz).eval()
    dummy = torch.zeros(1, 3, imgsz, imgsz)
    torch.onnx.export(
        wrapper, dummy, str(out), opset_version=opset, input_names=["images"], output_names=["output0"],
        dynamic_axes={"images": {0: "batch"}, "output0": {0: "batch"}}, do_constant_folding=True,
    )
    proto = onnx.load(str(out))
    # torch 1.13 leaves the channel and anchor axes symbolic; consumers read the layout from them.
    anchors = sum((imgsz // s) ** 2 for s in STRIDES)
    dims = proto.graph.output[0].type.tensor_type.shape.dim
    dims[0].dim_param = "batch"
    dims[1].ClearField("dim_param")
    dims[1].dim_value = 4 + len(names)
    dims[2].ClearField("dim_param")
    dims[2].dim_value = anchors
    metadata = {
        "description": description,
        "author": AUTHOR,
        "date": datetime.date.today().isoformat(),
        "version": version,
        "model_version": version,
        "license": LICENSE,
        "stride": str(max(STRIDES)),
        "task": "detect",
        "batch": "1",
        "imgsz": str([imgsz, imgsz]),
        "names": str({int(k): v for k, v in sorted(names.items())}),
        "channels": "3",
        "end2end": "False",
    }
    del proto.metadata_props[:]
    for key, value in metadata.items():
        proto.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(proto)
    onnx.save(proto, str(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--description", default=None)
    ap.add_argument("--model-version", default="1.0.0")
    args = ap.parse_args()
    ckpt = torch.load(args.weights, map_location="cpu")
    model = Detector(ckpt["nc"])
    model.load_state_dict(ckpt["model"])
    imgsz = int(ckpt["imgsz"])
    description = args.description or (
        f"Weld radiograph defect detector (compact YOLOv8-style, {imgsz} px), trained from scratch on synthetic radiographs")
    export_onnx(model, imgsz, ckpt["names"], args.out, description, args.model_version)
    print(f"exported {args.out}")


if __name__ == "__main__":
    main()
