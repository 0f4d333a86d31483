"""Runs the trainer (yolo/train.py) for one claimed run and turns its epoch log into reports."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import time
from pathlib import Path

from errors import TrainError

TRAIN_PY = Path(__file__).resolve().parents[1] / "yolo" / "train.py"


def base_imgsz(onnx_path: Path) -> int:
    """The input size an export.py ONNX file declares in its metadata (`imgsz`)."""
    import onnx

    try:
        props = {p.key: p.value for p in onnx.load(str(onnx_path), load_external_data=False).metadata_props}
        return int(ast.literal_eval(props["imgsz"])[0])
    except Exception as error:
        raise TrainError("base_model_unusable", f"{onnx_path.name} has no readable imgsz: {error}") from None


def train_command(spec: dict, data_yaml: Path, base: Path, out: Path, imgsz: int, threads: int,
                  device: str | None) -> list[str]:
    params = spec["params"]
    tile = params["tileSize"]
    command = [sys.executable, str(TRAIN_PY), "--data", str(data_yaml), "--out", str(out),
               "--imgsz", str(imgsz), "--epochs", str(params["epochs"]), "--batch", str(params["batch"]),
               "--seed", str(params["seed"]), "--threads", str(threads), "--base", str(base),
               "--tile-size", "auto" if tile is None else str(tile)]
    return command + (["--device", device] if device else [])


def epoch_report(record: dict, epochs: int) -> dict:
    """One line of train.py's log.jsonl as the edge's epoch report."""
    box, cls, dfl = record["loss"]
    return {"epoch": record["epoch"] + 1, "epochs": epochs, "losses": {"box": box, "cls": cls, "dfl": dfl},
            "val": {"map50": record["map50"], "map50_95": record["map"]}, "seconds": record["seconds"]}


def best_metrics(records: list[dict], started: float) -> dict:
    """The best epoch by train.py's own fitness (0.1·mAP50 + 0.9·mAP50-95), which best.pt holds."""
    best = max(records, key=lambda r: 0.1 * r["map50"] + 0.9 * r["map"])
    return {"val": {"map50": best["map50"], "map50_95": best["map"]}, "bestEpoch": best["epoch"] + 1,
            "epochs": len(records), "seconds": time.time() - started}


def run_training(command: list[str], out: Path, epochs: int, on_epoch, should_stop) -> list[dict]:
    """Starts train.py, reports each epoch as its log line appears (`on_epoch` answers False to stop),
    and stops it after an epoch when `should_stop()` says so. Answers the epoch records."""
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "log.jsonl"
    records: list[dict] = []
    with open(out / "train.log", "w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            while True:
                done = process.poll() is not None
                lines = log_path.read_text().splitlines() if log_path.exists() else []
                for line in lines[len(records):]:
                    records.append(json.loads(line))
                    if not on_epoch(epoch_report(records[-1], epochs)) or should_stop():
                        process.terminate()
                        process.wait(timeout=60)
                        return records
                if done:
                    break
                time.sleep(0.5)
        finally:
            if process.poll() is None:
                process.kill()
    if process.returncode != 0:
        tail = (out / "train.log").read_text()[-1500:]
        raise TrainError("training_failed", f"train.py exited {process.returncode}: {tail}")
    if not (out / "best.onnx").exists():
        raise TrainError("export_failed", "train.py wrote no best.onnx")
    return records
