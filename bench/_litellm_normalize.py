"""LiteLLM's side of bench/normalize.py; runs in the Python that has LiteLLM (bench/setup_litellm.sh).

    python _litellm_normalize.py BODIES.json   ->   one JSON line {provider: CPU µs per chunk | "error"}

BODIES.json holds, per provider, the content type and the body's HTTP chunks (base64), as
normalize.py built them. Each is streamed through ``litellm.acompletion(stream=True)`` with an
in-memory ``httpx.MockTransport`` (the OpenAI format through the ``openai`` client LiteLLM drives,
the others through LiteLLM's own HTTP handler), and the CPU time of the whole iteration is divided
by the text chunks LiteLLM yielded. Medians of the given runs, after one warm-up.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import httpx
import litellm
from litellm.llms.custom_httpx.http_handler import AsyncHTTPHandler
from openai import AsyncOpenAI

KEY = "sk-bench-00000000000000000000"
MODELS = {"openai": "openai/m", "anthropic": "anthropic/m", "gemini": "gemini/m", "ollama": "ollama_chat/m"}


class Body(httpx.AsyncByteStream):
    def __init__(self, steps: list[bytes]) -> None:
        self.steps = steps

    async def __aiter__(self) -> Any:
        for step in self.steps:
            yield step


def transport(content_type: str, steps: list[bytes]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": content_type}, stream=Body(steps))

    return httpx.MockTransport(answer)


async def once(provider: str, content_type: str, steps: list[bytes]) -> tuple[float, int]:
    mock = transport(content_type, steps)
    kwargs: dict[str, Any] = {"api_key": KEY, "api_base": "http://provider.test"}
    if provider == "openai":
        kwargs["client"] = AsyncOpenAI(api_key=KEY, base_url="http://provider.test/v1",
                                       http_client=httpx.AsyncClient(transport=mock))  # fmt: skip
    else:
        kwargs["client"] = AsyncHTTPHandler(transport=mock)
    started = time.process_time()
    response = await litellm.acompletion(model=MODELS[provider], messages=[{"role": "user", "content": "hi"}],
                                         stream=True, **kwargs)  # fmt: skip
    count = 0
    async for chunk in response:
        if chunk.choices and chunk.choices[0].delta.content:
            count += 1
    return time.process_time() - started, count


def main() -> None:
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    results: dict[str, float | str] = {}
    for provider, body in spec["bodies"].items():
        steps = [base64.b64decode(s) for s in body["steps"]]
        try:
            asyncio.run(once(provider, body["content_type"], steps))
            samples = []
            for _ in range(spec["runs"]):
                seconds, count = asyncio.run(once(provider, body["content_type"], steps))
                if count == 0:
                    raise RuntimeError("no text chunks")
                samples.append(seconds / count * 1e6)
            results[provider] = statistics.median(samples)
        except Exception as exc:
            results[provider] = f"failed: {type(exc).__name__}: {str(exc)[:80]}"
    print(json.dumps(results))


if __name__ == "__main__":
    main()
