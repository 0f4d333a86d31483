"""The trainer service: pulls the `train` queue over Cloudflare's HTTP pull API, claims each run
from the edge, downloads its dataset and base model by presigned URLs, fine-tunes with
yolo/train.py, reports every epoch, uploads the ONNX file through the registry's signed upload,
finishes the run, and only then acknowledges the message.

    TRAINER_EDGE_URL=... TRAINER_CALLBACK_TOKEN=... TRAINER_CF_ACCOUNT_ID=... TRAINER_CF_QUEUE_ID=... \\
    TRAINER_CF_API_TOKEN=... /usr/bin/python3 inference/training/service/main.py

A crash leaves the message unacknowledged: it comes back and the claim decides (a run whose
trainer still reports is `busy`; a silent one is claimed again). SIGTERM finishes the current
epoch, reports it, hands the run back (retryable `interrupted`, the message retried) and exits.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from dataset import write_dataset
from errors import TrainError
from http_api import EdgeClient, HttpError, QueuesApi, decode_body, download
from runner import base_imgsz, best_metrics, run_training, train_command
from settings import Settings, load_settings


def log(message: str, **fields) -> None:
    print(json.dumps({"msg": message, "service": "trainer", **fields}), flush=True)


class Stopped(Exception):
    """The edge said stop: the run was cancelled or finished, or a newer attempt holds it."""


class Trainer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.queues = QueuesApi(settings)
        self.edge = EdgeClient(settings)
        self.terminating = False

    def base_model(self, spec: dict, folder: Path) -> Path:
        base = spec["base"]
        if base["kind"] == "shipped":
            path = self.settings.models_dir / f"{base['name']}.onnx"
            if not path.exists():
                raise TrainError("base_model_unusable", f"shipped model {base['name']} is not in the models folder")
            return path
        try:
            data = download(base["url"], self.settings.http_timeout_seconds)
        except TrainError as error:
            raise TrainError("base_model_fetch_failed", str(error)) from None
        if hashlib.sha256(data).hexdigest() != base["sha256"]:
            raise TrainError("base_model_fetch_failed", "the base model's bytes do not match its sha256")
        path = folder / "base.onnx"
        path.write_bytes(data)
        return path

    def train(self, training_id: str, attempt: int, spec: dict, folder: Path) -> dict | None:
        """Trains one claimed run; answers the finish answer, or None when the edge said stop."""
        started = time.time()
        try:
            items = self.edge.items(training_id, attempt)
        except HttpError as error:
            if error.status == 409:
                raise Stopped(str(error)) from None
            raise TrainError("dataset_fetch_failed", str(error)) from None
        fetch = lambda url: download(url, self.settings.http_timeout_seconds)  # noqa: E731
        data_yaml = write_dataset(folder / "data", spec["dataset"]["classes"], items, fetch)
        base = self.base_model(spec, folder)
        imgsz = spec["params"]["imgsz"] or base_imgsz(base)
        epochs = spec["params"]["epochs"]
        stop = {}

        def on_epoch(report: dict) -> bool:
            answer = self.edge.progress(training_id, attempt, report)
            log("epoch reported", trainingId=training_id, attempt=attempt, epoch=report["epoch"],
                map50=report["val"]["map50"], outcome=answer["outcome"])
            if answer["outcome"] == "stop":
                stop["reason"] = answer["reason"]
                return False
            return True

        command = train_command(spec, data_yaml, base, folder / "run", imgsz, self.settings.threads,
                                self.settings.device)
        records = run_training(command, folder / "run", epochs, on_epoch, lambda: self.terminating)
        if stop:
            raise Stopped(stop["reason"])
        if len(records) < epochs and self.terminating:
            raise TrainError("interrupted", f"stopped by SIGTERM after epoch {len(records)} of {epochs}")
        model = (folder / "run" / "best.onnx").read_bytes()
        sha256 = hashlib.sha256(model).hexdigest()
        upload = self.edge.upload(training_id, attempt, model, sha256)
        if upload["outcome"] != "upload":
            raise Stopped(upload["reason"])
        return self.edge.finish(training_id, attempt, {
            "status": "succeeded", "uploadId": upload["uploadId"], "bytes": len(model), "sha256": sha256,
            "metrics": best_metrics(records, started)})

    def handle(self, message: dict) -> None:
        """One delivery: claim, train, finish, then ack (or retry a retryable failure)."""
        lease = message["lease_id"]
        try:
            training_id = decode_body(message)["trainingId"]
        except (ValueError, KeyError) as error:
            log("unreadable train message left to the dead-letter queue", error=str(error))
            self.queues.retry(lease, self.settings.retry_delay_seconds)
            return
        claim = self.edge.claim(training_id, int(message.get("attempts", 1)))
        if claim["outcome"] != "claimed":
            log("nothing to train", trainingId=training_id, outcome=claim["outcome"])
            self.queues.ack(lease)
            return
        attempt, spec = claim["attempt"], claim["training"]
        log("training claimed", trainingId=training_id, attempt=attempt, epochs=spec["params"]["epochs"])
        self.settings.work_dir.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"{training_id}-", dir=self.settings.work_dir))
        try:
            answer = self.train(training_id, attempt, spec, folder)
            log("training finished", trainingId=training_id, attempt=attempt, **(answer or {}))
            self.queues.ack(lease)
        except Stopped as stop:
            log("training stopped by the edge", trainingId=training_id, attempt=attempt, reason=str(stop))
            self.queues.ack(lease)
        except TrainError as error:
            answer = self.edge.finish(training_id, attempt, {"status": "failed", "error": error.report()})
            log("training failed", trainingId=training_id, attempt=attempt, code=error.code, outcome=answer)
            if error.permanent or answer.get("outcome") == "ignored":
                self.queues.ack(lease)
            else:
                self.queues.retry(lease, 0 if self.terminating else self.settings.retry_delay_seconds)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def run(self) -> None:
        while not self.terminating:
            try:
                messages = self.queues.pull()
            except HttpError as error:
                log("pull failed; retrying", error=str(error))
                time.sleep(max(1.0, self.settings.pull_idle_seconds))
                continue
            if not messages:
                if self.settings.once:
                    return
                time.sleep(self.settings.pull_idle_seconds)
                continue
            for message in messages:
                self.handle(message)
            if self.settings.once:
                return


def main() -> int:
    try:
        settings = load_settings()
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    log("trainer starting", settings=settings.printable())
    trainer = Trainer(settings)

    def terminate(signum, _frame) -> None:
        log("SIGTERM: finishing the current epoch, then handing the run back")
        trainer.terminating = True

    signal.signal(signal.SIGTERM, terminate)
    trainer.run()
    log("trainer stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
