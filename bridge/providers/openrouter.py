"""OpenRouter: OpenAI-style chat at ``{api_base}/chat/completions`` (default base
``https://openrouter.ai/api/v1``), ``Authorization: Bearer``.

OpenRouter's own additions: the optional attribution headers ``HTTP-Referer`` and ``X-Title``
(config fields ``app_url`` and ``app_name``; the title defaults to "Open LLM Bridge"), ``:``
keep-alive comment lines while a model warms up (the SSE decoder skips them), reasoning in
``delta.reasoning``, and errors inside a 200 stream as ``{"error": {"code", "message"}}``. It
takes ``max_tokens``. Models come from ``GET {api_base}/models``.
"""

from __future__ import annotations

from typing import ClassVar

from bridge.providers._openai_chat import ChatDialect, OpenAIChatProvider
from bridge.providers.base import ModelConfig


class OpenRouterProvider(OpenAIChatProvider):
    dialect: ClassVar[ChatDialect] = ChatDialect(max_tokens_field="max_tokens")

    def headers(self, config: ModelConfig) -> dict[str, str]:
        headers = super().headers(config)
        headers["X-Title"] = str(config.extra.get("app_name", "Open LLM Bridge"))
        if config.extra.get("app_url"):
            headers["HTTP-Referer"] = str(config.extra["app_url"])
        return headers
