"""Unit tests of the trainer service's pure parts (run by service.test.ts, or
`python3 -m unittest discover -s inference/training/service`)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dataset import label_lines, write_dataset  # noqa: E402
from errors import TRAIN_ERRORS, TrainError  # noqa: E402
from http_api import decode_body  # noqa: E402
from runner import best_metrics, epoch_report  # noqa: E402
from settings import load_settings  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
ENV = {"TRAINER_EDGE_URL": "http://127.0.0.1:8787/", "TRAINER_CALLBACK_TOKEN": "x" * 20,
       "TRAINER_CF_ACCOUNT_ID": "acc", "TRAINER_CF_QUEUE_ID": "train", "TRAINER_CF_API_TOKEN": "secret-token"}


class SettingsTest(unittest.TestCase):
    def test_reads_defaults_and_masks_secrets(self):
        settings = load_settings(ENV)
        self.assertEqual(settings.edge_url, "http://127.0.0.1:8787")
        self.assertEqual(settings.visibility_timeout_ms, 43_200_000)
        printed = json.dumps(settings.printable())
        self.assertNotIn("secret-token", printed)
        self.assertNotIn("x" * 20, printed)
        self.assertIn("TRAINER_CF_QUEUE_ID", printed)

    def test_names_every_bad_setting(self):
        with self.assertRaises(ValueError) as caught:
            load_settings({**ENV, "TRAINER_EDGE_URL": "ftp://x", "TRAINER_CALLBACK_TOKEN": "short",
                           "TRAINER_THREADS": "zero"})
        for name in ("TRAINER_EDGE_URL", "TRAINER_CALLBACK_TOKEN", "TRAINER_THREADS"):
            self.assertIn(name, str(caught.exception))


class WireTest(unittest.TestCase):
    def test_bodies_plain_or_base64(self):
        body = {"version": 1, "trainingId": "t"}
        text = json.dumps(body)
        self.assertEqual(decode_body({"body": text}), body)
        self.assertEqual(decode_body({"body": base64.b64encode(text.encode()).decode(),
                                      "metadata": {"CF-Content-Type": "json"}}), body)
        with self.assertRaises(ValueError):
            decode_body({"body": "not json!"})
        with self.assertRaises(ValueError):
            decode_body({"body": text, "metadata": {"CF-Content-Type": "v8"}})

    def test_error_table_matches_the_contract(self):
        source = (REPO / "common/contracts/train-errors.ts").read_text()
        table = dict(re.findall(r"^\s+(\w+): \{ permanent: (true|false) \}", source, re.M))
        self.assertEqual({k: v == "true" for k, v in table.items()}, TRAIN_ERRORS)
        self.assertTrue(TrainError("dataset_invalid", "x").permanent)
        self.assertEqual(TrainError("interrupted", "x").report()["permanent"], False)


class DatasetTest(unittest.TestCase):
    def test_labels_are_normalised_and_clipped(self):
        lines = label_lines([{"classId": 1, "x1": 10, "y1": 20, "x2": 30, "y2": 60},
                             {"classId": 0, "x1": -5, "y1": 0, "x2": 5, "y2": 200},
                             {"classId": 0, "x1": 7, "y1": 7, "x2": 7, "y2": 9}], 100, 100)
        self.assertEqual(lines, ["1 0.200000 0.400000 0.200000 0.400000", "0 0.025000 0.500000 0.050000 1.000000"])

    def test_writes_the_ultralytics_layout(self):
        blobs = {"u1": b"one", "u2": b"two"}
        items = [{"key": k, "url": k, "sha256": hashlib.sha256(v).hexdigest(), "format": "png",
                  "split": s, "width": 10, "height": 10, "boxes": []}
                 for (k, v), s in zip(blobs.items(), ["train", "val"])]
        with tempfile.TemporaryDirectory() as tmp:
            data_yaml = write_dataset(Path(tmp), ["porosity"], items, blobs.__getitem__)
            self.assertTrue((Path(tmp) / "images/train/000000.png").exists())
            self.assertTrue((Path(tmp) / "labels/val/000001.txt").exists())
            self.assertIn("porosity", data_yaml.read_text())
            items[0]["sha256"] = "0" * 64
            with self.assertRaises(TrainError) as caught:
                write_dataset(Path(tmp), ["porosity"], items, blobs.__getitem__)
            self.assertEqual(caught.exception.code, "dataset_fetch_failed")

    def test_refuses_a_missing_split(self):
        item = {"key": "a", "url": "a", "sha256": hashlib.sha256(b"a").hexdigest(), "format": "png",
                "split": "train", "width": 1, "height": 1, "boxes": []}
        with tempfile.TemporaryDirectory() as tmp, self.assertRaises(TrainError) as caught:
            write_dataset(Path(tmp), ["x"], [item], lambda _: b"a")
        self.assertEqual(caught.exception.code, "dataset_invalid")


class ReportsTest(unittest.TestCase):
    def test_epochs_and_best_metrics(self):
        records = [{"epoch": 0, "loss": [1.0, 2.0, 3.0], "map50": 0.5, "map": 0.2, "seconds": 4.0},
                   {"epoch": 1, "loss": [0.5, 1.0, 1.5], "map50": 0.4, "map": 0.3, "seconds": 4.0}]
        self.assertEqual(epoch_report(records[0], 2), {
            "epoch": 1, "epochs": 2, "losses": {"box": 1.0, "cls": 2.0, "dfl": 3.0},
            "val": {"map50": 0.5, "map50_95": 0.2}, "seconds": 4.0})
        metrics = best_metrics(records, started=0)
        self.assertEqual((metrics["bestEpoch"], metrics["val"]), (2, {"map50": 0.4, "map50_95": 0.3}))


if __name__ == "__main__":
    unittest.main()
