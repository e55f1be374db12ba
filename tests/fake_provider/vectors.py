"""The shared provider vectors (``shared/vectors/providers`` beside the clone) and what each
case's ``expect.json`` means in StreamChunks.

The tables here are the tests' own reading of the providers' documentation, kept apart from the
bridge's code on purpose: a finish reason or usage field the bridge maps wrongly fails a test.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fake_provider.server import Reply

ROOT = Path(__file__).resolve().parents[2]

# Provider finish reasons as the vectors record them -> ours.
FINISH = {
    "stop": "stop", "length": "length", "tool_calls": "tool_calls", "end_turn": "stop", "stop_sequence": "stop",
    "max_tokens": "length", "tool_use": "tool_calls", "STOP": "stop", "MAX_TOKENS": "length", 1: "stop",
    "completed": "stop",  # Responses API status
}  # fmt: skip
# Usage fields -> (input, output): input counts cached prompt tokens, output counts reasoning.
USAGE = {
    "prompt_tokens": (1, 0), "completion_tokens": (0, 1),  # Chat Completions
    "input_tokens": (1, 0), "cache_creation_input_tokens": (1, 0), "cache_read_input_tokens": (1, 0),
    "output_tokens": (0, 1),  # Anthropic
    "promptTokenCount": (1, 0), "candidatesTokenCount": (0, 1), "thoughtsTokenCount": (0, 1),  # Gemini
    "prompt_eval_count": (1, 0), "eval_count": (0, 1),  # Ollama
}  # fmt: skip
# HTTP 400 cases that are not plain bad requests.
ERROR_400 = {
    "gemini/error_400_api_key_invalid": "auth",
    "gemini/error_400_api_key_invalid_stream_request": "auth",
    "gemini/error_400_context_length_exceeded": "context_length",
    "anthropic/error_400_prompt_too_long": "context_length",
    "openai/error_400_responses_context_length_exceeded": "context_length",
    "openrouter/error_400_context_length": "context_length",
    "ollama/error_400_openai_compat_context_length": "context_length",
}
ERROR_BY_STATUS = {401: "auth", 403: "auth", 404: "not_found", 429: "rate_limited"}


def vectors_dir() -> Path:
    """``shared/`` beside the clone: beside this checkout, or beside the clone a git worktree belongs to."""
    candidates = [ROOT.parent / "shared" / "vectors" / "providers"]
    git = ROOT / ".git"
    if git.is_file():
        gitdir = Path(git.read_text().split(":", 1)[1].strip())
        candidates.append(gitdir.parents[2].parent / "shared" / "vectors" / "providers")
    for candidate in candidates:
        if (candidate / "index.json").is_file():
            return candidate
    raise FileNotFoundError(
        "the provider vectors are missing: expected shared/vectors/providers/index.json beside the clone, at "
        + " or ".join(str(c) for c in candidates)
    )


@dataclass(frozen=True)
class Case:
    name: str  # provider/case
    provider: str
    expect: dict[str, Any]
    response: dict[str, Any]
    request: dict[str, Any]

    @property
    def body(self) -> bytes:
        return str(self.response["body"]).encode("utf-8")

    @property
    def decoding_provider(self) -> str:
        """Ollama's OpenAI-compatible recordings are replayed through the OpenAI chat dialect."""
        return "openai" if self.name.startswith("ollama/openai_compat") else self.provider

    @property
    def settings(self) -> dict[str, Any]:
        """Provider config for the replay: Responses API recordings (errors too) need ``api: responses``."""
        return {"api": "responses"} if self.request["url"].split("?")[0].endswith("/responses") else {}

    def reply(self, rng: random.Random, max_pieces: int = 24) -> Reply:
        """The recorded response, byte for byte, cut at random points into HTTP chunks."""
        body = self.body
        cuts = sorted(rng.sample(range(1, len(body)), min(len(body) - 1, rng.randint(1, max_pieces))))
        pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
        skip = {"content-length", "transfer-encoding", "connection", "content-encoding", "keep-alive"}
        headers = [(k, v) for k, v in self.response["headers"].items() if k.lower() not in skip]
        return Reply(self.response["status"], headers, list(pieces))

    def expected_error(self) -> str | None:
        if self.expect["error"] is None:
            return None
        status = self.expect["status"]
        return ERROR_400.get(self.name, "bad_request") if status == 400 else ERROR_BY_STATUS.get(status, "server")

    def expected_finish(self) -> str:
        finish = FINISH[self.expect["finish_reason"]]
        return "tool_calls" if finish == "stop" and self.expect["tool_calls"] else finish

    def expected_usage(self) -> tuple[int, int] | None:
        usage = self.expect["usage"]
        if usage is None:
            return None
        totals = [0, 0]
        for name, value in usage.items():
            weight = USAGE.get(name, (0, 0))
            totals[0] += weight[0] * value
            totals[1] += weight[1] * value
        return totals[0], totals[1]


@cache
def all_cases() -> list[Case]:
    base = vectors_dir()
    cases = []
    for entry in json.loads((base / "index.json").read_text()):
        stem = base / entry["provider"] / entry["name"]
        cases.append(
            Case(
                entry["case"],
                entry["provider"],
                json.loads(Path(f"{stem}.expect.json").read_text()),
                json.loads(Path(f"{stem}.response.json").read_text()),
                json.loads(Path(f"{stem}.request.json").read_text()),
            )
        )
    return cases
