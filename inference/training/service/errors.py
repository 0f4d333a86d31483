"""Why a training run failed: the same table as common/contracts/train-errors.ts (a test compares them).

Codes the edge sets itself (model_rejected, dead_lettered, trainer_lost) are listed too, so the
two tables stay one vocabulary.
"""

from __future__ import annotations

TRAIN_ERRORS: dict[str, bool] = {
    # code: permanent
    "dataset_fetch_failed": False,
    "dataset_invalid": True,
    "base_model_fetch_failed": False,
    "base_model_unusable": True,
    "training_failed": False,
    "export_failed": True,
    "upload_failed": False,
    "interrupted": False,
    "model_rejected": True,
    "dead_lettered": True,
    "trainer_lost": True,
}


class TrainError(Exception):
    """A failure with a stable code; `permanent` comes from the table."""

    def __init__(self, code: str, message: str) -> None:
        if code not in TRAIN_ERRORS:
            raise ValueError(f"unknown train error code {code}")
        super().__init__(message)
        self.code = code
        self.permanent = TRAIN_ERRORS[code]

    def report(self) -> dict:
        return {"code": self.code, "message": str(self)[:2000], "permanent": self.permanent}
