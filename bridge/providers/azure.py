"""Azure OpenAI: the OpenAI chat dialect behind Azure's deployment URLs and ``api-key`` header.

``POST {api_base}/openai/deployments/{deployment}/chat/completions?api-version={api_version}``
where ``api_base`` is the resource endpoint, ``https://RESOURCE.openai.azure.com`` (there is no
default: every resource has its own), ``deployment`` is the config field of that name and
defaults to the model name, and ``api_version`` is the config field of that name, default
``2024-10-21`` (the current GA data-plane version, which takes ``stream_options`` and
``max_completion_tokens``). Models come from ``GET {api_base}/openai/models?api-version=…``, the
models the resource can deploy (Azure's data plane has no list of deployments). With
``api: responses`` chats go to Azure's v1 Responses API, ``POST {api_base}/openai/v1/responses``
(no ``api-version``; ``model`` in the body names the deployment).
"""

from __future__ import annotations

from typing import ClassVar, Literal
from urllib.parse import quote

from bridge.providers._openai_chat import OpenAIChatProvider
from bridge.providers.base import ModelConfig

DEFAULT_API_VERSION = "2024-10-21"


class AzureProvider(OpenAIChatProvider):
    auth: ClassVar[Literal["bearer", "api-key"]] = "api-key"

    def _version(self, config: ModelConfig) -> str:
        return quote(str(config.extra.get("api_version") or DEFAULT_API_VERSION), safe="")

    def chat_url(self, config: ModelConfig) -> str:
        deployment = quote(str(config.extra.get("deployment") or config.model), safe="")
        return (
            f"{self.base(config)}/openai/deployments/{deployment}/chat/completions?api-version={self._version(config)}"
        )

    def responses_url(self, config: ModelConfig) -> str:
        return f"{self.base(config)}/openai/v1/responses"

    def responses_model(self, config: ModelConfig) -> str:
        return str(config.extra.get("deployment") or config.model)

    def models_url(self, config: ModelConfig) -> str:
        return f"{self.base(config)}/openai/models?api-version={self._version(config)}"
