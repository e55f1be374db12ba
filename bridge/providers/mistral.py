"""Mistral: OpenAI-style chat at ``{api_base}/chat/completions`` (default base
``https://api.mistral.ai/v1``), ``Authorization: Bearer``.

Where Mistral's documented API differs from OpenAI's: ``max_tokens``; ``tool_choice: "any"`` for
"call some tool"; an image part is ``{"type": "image_url", "image_url": "data:…"}``; usage comes
in the last event without ``stream_options`` (which is not sent); a tool call id must be 9 letters
and digits, so another provider's ids are hashed to that shape. Magistral models stream their
reasoning as ``{"type": "thinking"}`` content parts; the shared decoder turns those into thinking
chunks. Models come from ``GET {api_base}/models``.
"""

from __future__ import annotations

from typing import ClassVar

from bridge.providers._openai_chat import ChatDialect, OpenAIChatProvider


class MistralProvider(OpenAIChatProvider):
    dialect: ClassVar[ChatDialect] = ChatDialect(
        max_tokens_field="max_tokens",
        image_url_as_string=True,
        required_tool_choice="any",
        stream_usage=False,
        short_call_ids=True,
    )
