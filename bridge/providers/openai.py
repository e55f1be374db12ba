"""OpenAI: Chat Completions at ``{api_base}/chat/completions`` (default base
``https://api.openai.com/v1``, as the official SDK), ``Authorization: Bearer``.

Requests ask for ``stream_options.include_usage`` so the last event reports usage, and send
``max_completion_tokens`` (the o-series and GPT-5 models reject ``max_tokens``). Models come from
``GET {api_base}/models``. With ``api: responses`` in the provider config, chats go to the
Responses API, ``POST {api_base}/responses`` (:mod:`._openai_responses`), instead.
"""

from __future__ import annotations

from bridge.providers._openai_chat import OpenAIChatProvider
from bridge.providers.base import ModelConfig


class OpenAIProvider(OpenAIChatProvider):
    def responses_url(self, config: ModelConfig) -> str:
        return f"{self.base(config)}/responses"
