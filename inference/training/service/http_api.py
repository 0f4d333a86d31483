"""HTTP with the standard library only: the Cloudflare Queues pull API and the edge's trainer API."""

from __future__ import annotations

import base64
import binascii
import json
import urllib.error
import urllib.request

from errors import TrainError


class HttpError(Exception):
    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status


def request_json(method: str, url: str, token: str, body: dict | None, timeout: float) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        text = error.read()[:300].decode(errors="replace")
        raise HttpError(error.code, f"{method} {url.split('?')[0]} answered {error.code}: {text}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise HttpError(None, f"{method} {url.split('?')[0]} failed: {error}") from None


def decode_body(message: dict) -> dict:
    """A pulled body: JSON text, or base64 of it (the pull-consumer guide encodes `json` bodies)."""
    body = message.get("body", "")
    content_type = (message.get("metadata") or {}).get("CF-Content-Type", "json")
    if content_type not in ("json", "text", "bytes"):
        raise ValueError(f"message content type {content_type} cannot be read by a pull consumer")
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        try:
            return json.loads(base64.b64decode(body, validate=True).decode())
        except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
            raise ValueError("message body is neither JSON nor base64 JSON") from None


class QueuesApi:
    """POST .../messages/pull and .../messages/ack of one queue."""

    def __init__(self, settings) -> None:
        self.base = (f"{settings.cf_api_base}/accounts/{settings.cf_account_id}"
                     f"/queues/{settings.cf_queue_id}/messages")
        self.token = settings.cf_api_token
        self.timeout = settings.http_timeout_seconds
        self.visibility_timeout_ms = settings.visibility_timeout_ms

    def _call(self, operation: str, body: dict):
        envelope = request_json("POST", f"{self.base}/{operation}", self.token, body, self.timeout)
        if not envelope.get("success"):
            raise HttpError(200, f"{operation} failed: {envelope.get('errors')}")
        return envelope.get("result") or {}

    def pull(self) -> list[dict]:
        result = self._call("pull", {"batch_size": 1, "visibility_timeout_ms": self.visibility_timeout_ms})
        return result.get("messages") or []

    def ack(self, lease_id: str) -> None:
        self._call("ack", {"acks": [{"lease_id": lease_id}], "retries": []})

    def retry(self, lease_id: str, delay_seconds: int) -> None:
        self._call("ack", {"acks": [], "retries": [{"lease_id": lease_id, "delay_seconds": delay_seconds}]})


class EdgeClient:
    """The trainer's calls to /internal/v1/trainings/{id}/... (common/contracts/train-claim.ts)."""

    def __init__(self, settings) -> None:
        self.base = f"{settings.edge_url}/internal/v1/trainings"
        self.token = settings.callback_token
        self.timeout = settings.http_timeout_seconds

    def _post(self, training_id: str, step: str, body: dict) -> dict:
        return request_json("POST", f"{self.base}/{training_id}/{step}", self.token, {"version": 1, **body},
                            self.timeout)

    def claim(self, training_id: str, delivery: int) -> dict:
        return self._post(training_id, "claim", {"delivery": delivery})

    def items(self, training_id: str, attempt: int) -> list[dict]:
        items, cursor = [], None
        while True:
            query = f"attempt={attempt}" + (f"&cursor={cursor}" if cursor else "")
            page = request_json("GET", f"{self.base}/{training_id}/items?{query}", self.token, None, self.timeout)
            items += page["items"]
            cursor = page.get("nextCursor")
            if not cursor:
                return items

    def progress(self, training_id: str, attempt: int, epoch: dict) -> dict:
        return self._post(training_id, "progress", {"attempt": attempt, **epoch})

    def upload(self, training_id: str, attempt: int, data: bytes, sha256: str) -> dict:
        answer = self._post(training_id, "upload", {"attempt": attempt, "bytes": len(data), "sha256": sha256})
        if answer["outcome"] != "upload":
            return answer
        req = urllib.request.Request(answer["url"], data=data, method="PUT")
        for key, value in answer["headers"].items():
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=max(self.timeout, 300)) as response:
                response.read()
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise TrainError("upload_failed", f"model upload failed: {error}") from None
        return answer

    def finish(self, training_id: str, attempt: int, body: dict) -> dict:
        return self._post(training_id, "finish", {"attempt": attempt, **body})


def download(url: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise TrainError("dataset_fetch_failed", f"download failed: {error}") from None
