"""The providers the bridge speaks, registered in one explicit table.

Metadata lives in the table so that listing providers costs no import; each implementation
module is imported when a provider is first used (only HTTP providers pay for the HTTP client).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass

from bridge.errors import UnknownProviderError
from bridge.providers.base import CallStats, ModelConfig, Provider, Timeouts
from protocol import ProviderCapabilities, ProviderMetadata


@dataclass(frozen=True)
class ProviderSpec:
    id: str
    display_name: str
    default_api_base: str | None
    env_vars: tuple[str, ...]
    needs_key: bool
    capabilities: ProviderCapabilities
    implementation: str  # "module:Class"
    uses_http: bool = True

    def metadata(self) -> ProviderMetadata:
        return {
            "id": self.id,
            "display_name": self.display_name,
            "default_api_base": self.default_api_base,
            "env_vars": list(self.env_vars),
            "needs_key": self.needs_key,
            "capabilities": dict(self.capabilities),  # type: ignore[typeddict-item]
        }

    def load(self) -> type[Provider]:
        module_name, _, class_name = self.implementation.partition(":")
        cls: type[Provider] = getattr(importlib.import_module(module_name), class_name)
        return cls


def _caps(*, tools: bool = True, images: bool = True, thinking: bool = False) -> ProviderCapabilities:
    return {"streaming": True, "tools": tools, "images": images, "thinking": thinking, "model_discovery": True}


class Registry:
    """Provider specs by id; a duplicate id is a programming error."""

    def __init__(self, specs: list[ProviderSpec]) -> None:
        self._specs: dict[str, ProviderSpec] = {}
        for spec in specs:
            if spec.id in self._specs:
                raise ValueError(f"provider id {spec.id!r} registered twice")
            self._specs[spec.id] = spec

    def __iter__(self) -> Iterator[ProviderSpec]:
        return iter(self._specs.values())

    def __contains__(self, provider_id: object) -> bool:
        return provider_id in self._specs

    def get(self, provider_id: str) -> ProviderSpec:
        try:
            return self._specs[provider_id]
        except KeyError:
            known = ", ".join(self._specs)
            raise UnknownProviderError(f"unknown provider {provider_id!r}; known providers: {known}") from None


BUILTIN = Registry(
    [
        ProviderSpec("openai", "OpenAI", "https://api.openai.com/v1", ("OPENAI_API_KEY",), True,
                     _caps(), "bridge.providers.openai:OpenAIProvider"),
        ProviderSpec("anthropic", "Anthropic", "https://api.anthropic.com", ("ANTHROPIC_API_KEY",), True,
                     _caps(thinking=True), "bridge.providers.anthropic:AnthropicProvider"),
        ProviderSpec("gemini", "Google Gemini", "https://generativelanguage.googleapis.com",
                     ("GEMINI_API_KEY", "GOOGLE_API_KEY"), True, _caps(thinking=True),
                     "bridge.providers.gemini:GeminiProvider"),
        ProviderSpec("mistral", "Mistral", "https://api.mistral.ai/v1", ("MISTRAL_API_KEY",), True,
                     _caps(thinking=True), "bridge.providers.mistral:MistralProvider"),
        ProviderSpec("ollama", "Ollama", "http://localhost:11434", (), False,
                     _caps(thinking=True), "bridge.providers.ollama:OllamaProvider"),
        ProviderSpec("azure", "Azure OpenAI", None, ("AZURE_API_KEY", "AZURE_OPENAI_API_KEY"), True,
                     _caps(), "bridge.providers.azure:AzureProvider"),
        ProviderSpec("openrouter", "OpenRouter", "https://openrouter.ai/api/v1", ("OPENROUTER_API_KEY",), True,
                     _caps(thinking=True), "bridge.providers.openrouter:OpenRouterProvider"),
        ProviderSpec("mock", "Mock (offline)", None, (), False,
                     _caps(thinking=True), "bridge.providers.mock:MockProvider", uses_http=False),
    ]
)  # fmt: skip

__all__ = ["BUILTIN", "CallStats", "ModelConfig", "Provider", "ProviderSpec", "Registry", "Timeouts"]
