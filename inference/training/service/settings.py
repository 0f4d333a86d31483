"""The trainer service's settings: environment variables with the TRAINER_ prefix, validated at start."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
#: The train queue's pull consumer (common/contracts/train-pull-consumer.ts): one run per pull, 12 h lease.
VISIBILITY_TIMEOUT_MS = 43_200_000

SECRETS = {"callback_token", "cf_api_token"}


@dataclass(frozen=True)
class Settings:
    edge_url: str
    callback_token: str
    cf_api_base: str
    cf_account_id: str
    cf_queue_id: str
    cf_api_token: str
    visibility_timeout_ms: int
    pull_idle_seconds: float
    models_dir: Path
    work_dir: Path
    threads: int
    device: str | None
    retry_delay_seconds: int
    http_timeout_seconds: float
    once: bool

    def printable(self) -> dict:
        """Every setting, secrets masked: what the service prints at start."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f"TRAINER_{f.name.upper()}"] = "***" if f.name in SECRETS else str(value)
        return out


def _url(env: dict, name: str, default: str | None = None) -> str:
    value = env.get(name, default)
    if not value:
        raise ValueError(f"{name} is required")
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{name} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _required(env: dict, name: str, min_length: int = 1) -> str:
    value = env.get(name, "")
    if len(value) < min_length:
        raise ValueError(f"{name} is required" + (f" (at least {min_length} characters)" if min_length > 1 else ""))
    return value


def _number(env: dict, name: str, default: float, kind=int, minimum: float = 0):
    raw = env.get(name)
    try:
        value = kind(raw) if raw not in (None, "") else kind(default)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def load_settings(env: dict | None = None) -> Settings:
    """Reads and checks every TRAINER_* setting; raises ValueError naming each bad one."""
    env = dict(os.environ if env is None else env)
    errors, values = [], {}
    checks = {
        "edge_url": lambda: _url(env, "TRAINER_EDGE_URL"),
        "callback_token": lambda: _required(env, "TRAINER_CALLBACK_TOKEN", 16),
        "cf_api_base": lambda: _url(env, "TRAINER_CF_API_BASE", "https://api.cloudflare.com/client/v4"),
        "cf_account_id": lambda: _required(env, "TRAINER_CF_ACCOUNT_ID"),
        "cf_queue_id": lambda: _required(env, "TRAINER_CF_QUEUE_ID"),
        "cf_api_token": lambda: _required(env, "TRAINER_CF_API_TOKEN"),
        "visibility_timeout_ms": lambda: _number(env, "TRAINER_VISIBILITY_TIMEOUT_MS", VISIBILITY_TIMEOUT_MS, int, 1000),
        "pull_idle_seconds": lambda: _number(env, "TRAINER_PULL_IDLE_SECONDS", 5, float, 0),
        "models_dir": lambda: Path(env.get("TRAINER_MODELS_DIR") or HERE.parents[1] / "models"),
        "work_dir": lambda: Path(env.get("TRAINER_WORK_DIR") or "/tmp/trainer"),
        "threads": lambda: _number(env, "TRAINER_THREADS", 2, int, 1),
        "device": lambda: env.get("TRAINER_DEVICE") or None,
        "retry_delay_seconds": lambda: _number(env, "TRAINER_RETRY_DELAY_SECONDS", 30, int, 0),
        "http_timeout_seconds": lambda: _number(env, "TRAINER_HTTP_TIMEOUT_SECONDS", 60, float, 1),
        "once": lambda: env.get("TRAINER_ONCE", "false") == "true",
    }
    for key, check in checks.items():
        try:
            values[key] = check()
        except ValueError as error:
            errors.append(str(error))
    if errors:
        raise ValueError("invalid trainer settings: " + "; ".join(errors))
    return Settings(**values)


__all__ = ["Settings", "load_settings", "asdict"]
