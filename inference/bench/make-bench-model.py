"""Exports a YOLOv8-shaped ONNX model with random fixed weights, for benchmarking only.

`python3 inference/bench/make-bench-model.py OUT.onnx` (Debian's python3-torch and python3-onnx).
The benchmark normally measures the default model in inference/models; this stands in when that
is absent. Its cost is in the range of a nano YOLO at 640x640 (a strided conv backbone, three
detection scales, an Ultralytics v8 output [B, 4 + nc, 8400] with a dynamic batch axis).
"""

import sys

import onnx
import torch
from torch import nn

NAMES = {0: "porosity", 1: "crack", 2: "slag", 3: "undercut"}


def conv(c_in, c_out, stride):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.SiLU())


class BenchDetector(nn.Module):
    def __init__(self, nc=len(NAMES), width=32):
        super().__init__()
        w = width
        self.stem = nn.Sequential(conv(3, w, 2), conv(w, w * 2, 2), conv(w * 2, w * 2, 1))
        self.p3 = nn.Sequential(conv(w * 2, w * 4, 2), conv(w * 4, w * 4, 1))
        self.p4 = nn.Sequential(conv(w * 4, w * 8, 2), conv(w * 8, w * 8, 1))
        self.p5 = nn.Sequential(conv(w * 8, w * 8, 2), conv(w * 8, w * 8, 1))
        self.heads = nn.ModuleList(nn.Conv2d(c, 4 + nc, 1) for c in (w * 4, w * 8, w * 8))
        for head in self.heads:
            # Low class priors, as in a trained detector: few anchors pass the default conf, so NMS
            # costs what it costs on real images rather than sorting every anchor.
            nn.init.constant_(head.bias[4:], -6.0)
        self.strides = (8, 16, 32)

    def forward(self, x):
        p3 = self.p3(self.stem(x))
        p4 = self.p4(p3)
        p5 = self.p5(p4)
        outputs = []
        for head, feature, stride in zip(self.heads, (p3, p4, p5), self.strides):
            y = head(feature)
            b, c, h, w = y.shape
            gy, gx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
            grid = torch.stack((gx, gy)).reshape(1, 2, h * w).float()
            y = y.reshape(b, c, h * w)
            xy = (grid + torch.sigmoid(y[:, :2])) * stride
            wh = torch.exp(y[:, 2:4].clamp(max=4)) * stride
            outputs.append(torch.cat((xy, wh, torch.sigmoid(y[:, 4:])), 1))
        return torch.cat(outputs, 2)


def main(path):
    torch.manual_seed(0)
    model = BenchDetector().eval()
    torch.onnx.export(
        model,
        torch.zeros(1, 3, 640, 640),
        path,
        input_names=["images"],
        output_names=["output0"],
        dynamic_axes={"images": {0: "batch"}, "output0": {0: "batch"}},
        opset_version=17,
    )
    exported = onnx.load(path)
    for key, value in {
        "names": str(NAMES),
        "imgsz": "[640, 640]",
        "stride": "32",
        "task": "detect",
        "model_version": "bench-random",
    }.items():
        exported.metadata_props.add(key=key, value=value)
    onnx.save(exported, path)


if __name__ == "__main__":
    main(sys.argv[1])
