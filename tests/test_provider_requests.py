"""What the bridge sends, checked against each provider's documented API: method, path, auth
header, and the whole body for one conversation with a system prompt, an image, a tool call, its
result and every option. A wrong field name or encoding fails here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fake_provider import FakeServer, Recorded, Reply
from fake_provider.harness import KEY, collect, engine, request, text
from fake_provider.replies import BASE_PATHS, text_reply

from bridge.errors import AuthError
from bridge.providers import anthropic, gemini, ollama
from bridge.providers._openai_chat import ChatDialect, build_body
from bridge.providers.mistral import MistralProvider
from bridge.providers.openai import OpenAIProvider
from protocol import ChatMessage, StreamOptions, ToolSpec, validate

pytestmark = pytest.mark.anyio

IMAGE = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAcCBlCwAAAABJRU5ErkJggg=="
WEATHER: ToolSpec = {
    "name": "get_weather",
    "description": "Current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
CONVERSATION: list[ChatMessage] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": [{"type": "text", "text": "What is this, and the weather?"},
                                 {"type": "image", "media_type": "image/png", "data": IMAGE}]},
    {"role": "assistant", "content": [{"type": "text", "text": "Checking."},
                                      {"type": "tool_call", "id": "call_1", "name": "get_weather",
                                       "arguments": {"city": "Paris"}}]},
    {"role": "tool", "content": [{"type": "tool_result", "tool_call_id": "call_1", "name": "get_weather",
                                  "content": "18C"}]},
    {"role": "user", "content": "Thanks"},
]  # fmt: skip
OPTIONS: dict[str, Any] = {
    "temperature": 0.2, "max_tokens": 50, "top_p": 0.9, "stop": ["END"], "tools": [WEATHER],
    "tool_choice": {"type": "tool", "name": "get_weather"},
}  # fmt: skip
OPENAI_TOOL = {"type": "function", "function": {"name": "get_weather", "description": WEATHER["description"],
                                                "parameters": WEATHER["parameters"]}}  # fmt: skip


def _openai_messages(image_part: dict[str, Any], call_id: str = "call_1") -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "What is this, and the weather?"}, image_part]},
        {"role": "assistant", "content": "Checking.", "tool_calls": [
            {"id": call_id, "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "tool_call_id": call_id, "content": "18C"},
        {"role": "user", "content": "Thanks"},
    ]  # fmt: skip


def _openai_body(**variant: Any) -> dict[str, Any]:
    image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{IMAGE}"}}
    body = {
        "model": "m", "stream": True, "stream_options": {"include_usage": True}, "messages": _openai_messages(image),
        "temperature": 0.2, "top_p": 0.9, "stop": ["END"], "max_completion_tokens": 50, "tools": [OPENAI_TOOL],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    }  # fmt: skip
    body.update(variant)
    return body


def _mistral_body() -> dict[str, Any]:
    body = _openai_body(max_tokens=50)
    del body["max_completion_tokens"], body["stream_options"]
    # Mistral takes ids of 9 letters and digits: "call_1" goes as its hash
    body["messages"] = _openai_messages(
        {"type": "image_url", "image_url": f"data:image/png;base64,{IMAGE}"}, "bU09E4FDZ"
    )
    return body


def _openrouter_body() -> dict[str, Any]:
    body = _openai_body(max_tokens=50)
    del body["max_completion_tokens"]
    return body


ANTHROPIC_BODY = {
    "model": "m", "max_tokens": 50, "stream": True, "system": "Be brief.", "temperature": 0.2, "top_p": 0.9,
    "stop_sequences": ["END"],
    "messages": [
        {"role": "user", "content": [
            {"type": "text", "text": "What is this, and the weather?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": IMAGE}}]},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"}, {"type": "text", "text": "Thanks"}]},
    ],
    "tools": [{"name": "get_weather", "description": WEATHER["description"], "input_schema": WEATHER["parameters"]}],
    "tool_choice": {"type": "tool", "name": "get_weather"},
}  # fmt: skip
GEMINI_BODY = {
    "contents": [
        {"role": "user", "parts": [{"text": "What is this, and the weather?"},
                                   {"inlineData": {"mimeType": "image/png", "data": IMAGE}}]},
        {"role": "model", "parts": [{"text": "Checking."},
                                    {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"result": "18C"}}},
                                   {"text": "Thanks"}]},
    ],
    "systemInstruction": {"parts": [{"text": "Be brief."}]},
    "generationConfig": {"temperature": 0.2, "topP": 0.9, "maxOutputTokens": 50, "stopSequences": ["END"]},
    "tools": [{"functionDeclarations": [{"name": "get_weather", "description": WEATHER["description"],
                                         "parametersJsonSchema": WEATHER["parameters"]}]}],
    "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
}  # fmt: skip
OLLAMA_BODY = {
    "model": "m", "stream": True,
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is this, and the weather?", "images": [IMAGE]},
        {"role": "assistant", "content": "Checking.",
         "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "content": "18C", "tool_name": "get_weather"},
        {"role": "user", "content": "Thanks"},
    ],
    "options": {"temperature": 0.2, "top_p": 0.9, "num_predict": 50, "stop": ["END"]},
    "tools": [OPENAI_TOOL],
}  # fmt: skip

# provider -> (path, headers that must be present, headers that must be absent, body)
EXPECTED: dict[str, tuple[str, dict[str, str], set[str], dict[str, Any]]] = {
    "openai": ("/v1/chat/completions", {"authorization": f"Bearer {KEY}"}, {"api-key"}, _openai_body()),
    "mistral": ("/v1/chat/completions", {"authorization": f"Bearer {KEY}"}, set(), _mistral_body()),
    "openrouter": ("/api/v1/chat/completions", {"authorization": f"Bearer {KEY}", "x-title": "Open LLM Bridge"},
                   set(), _openrouter_body()),
    "azure": ("/openai/deployments/m/chat/completions?api-version=2024-10-21", {"api-key": KEY}, {"authorization"},
              _openai_body()),
    "anthropic": ("/v1/messages", {"x-api-key": KEY, "anthropic-version": "2023-06-01"}, {"authorization"},
                  ANTHROPIC_BODY),
    "gemini": ("/v1beta/models/m:streamGenerateContent?alt=sse", {"x-goog-api-key": KEY}, {"authorization"},
               GEMINI_BODY),
    "ollama": ("/api/chat", {}, {"authorization"}, OLLAMA_BODY),
}  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def _body(recorded: Recorded) -> dict[str, Any]:
    """The JSON body, with Chat Completions' tool arguments (a JSON string) parsed for comparison."""
    body: dict[str, Any] = recorded.json
    for message in body.get("messages", []):
        for call in message.get("tool_calls", []):
            if isinstance(call["function"]["arguments"], str):
                call["function"]["arguments"] = json.loads(call["function"]["arguments"])
    return body


@pytest.mark.parametrize("provider", sorted(EXPECTED))
async def test_request_matches_the_documented_api(server: FakeServer, provider: str) -> None:
    path, present, absent, body = EXPECTED[provider]
    server.enqueue(text_reply(provider, ["Sunny", " and", " 18C."]))
    before = len(server.requests)
    chat = request(provider, server.url + BASE_PATHS.get(provider, ""), CONVERSATION, **OPTIONS)
    chunks = await collect(engine(provider), chat)
    assert text(chunks) == "Sunny and 18C."
    sent = server.requests[before]
    assert (sent.method, sent.path) == ("POST", path)
    assert sent.headers["content-type"] == "application/json"
    for name, value in present.items():
        assert sent.headers.get(name) == value, name
    assert not absent & set(sent.headers)
    assert KEY not in sent.path
    assert _body(sent) == body


async def test_azure_deployment_and_api_version_come_from_config(server: FakeServer) -> None:
    server.enqueue(text_reply("azure", ["ok"]))
    before = len(server.requests)
    bridge = engine("azure", deployment="prod-gpt4o", api_version="2025-01-01-preview")
    await collect(bridge, request("azure", server.url + "/", model="gpt-4o"))
    assert (
        server.requests[before].path == "/openai/deployments/prod-gpt4o/chat/completions?api-version=2025-01-01-preview"
    )


@pytest.mark.parametrize(
    ("choice", "openai", "mistral", "anthropic_choice", "gemini_mode"),
    [("auto", "auto", "auto", {"type": "auto"}, "AUTO"), ("none", "none", "none", {"type": "none"}, "NONE"),
     ("required", "required", "any", {"type": "any"}, "ANY")],
)  # fmt: skip
def test_tool_choice_in_each_api_format(
    choice: str, openai: str, mistral: str, anthropic_choice: dict[str, str], gemini_mode: str
) -> None:
    options: StreamOptions = {"tools": [WEATHER], "tool_choice": choice}  # type: ignore[typeddict-item]
    messages: list[ChatMessage] = [{"role": "user", "content": "hi"}]
    assert build_body("m", messages, options, ChatDialect())["tool_choice"] == openai
    assert build_body("m", messages, options, ChatDialect(required_tool_choice="any"))["tool_choice"] == mistral
    assert anthropic.build_body("m", messages, options, {})["tool_choice"] == anthropic_choice
    assert gemini.build_body(messages, options)["toolConfig"] == {"functionCallingConfig": {"mode": gemini_mode}}
    assert ("tools" in ollama.build_body("m", messages, options, {})) == (choice != "none")


def test_anthropic_needs_max_tokens_and_can_ask_for_thinking() -> None:
    hi: list[ChatMessage] = [{"role": "user", "content": "hi"}]
    assert anthropic.build_body("m", hi, {}, {})["max_tokens"] == anthropic.DEFAULT_MAX_TOKENS
    for budget in (2048, 10_000):  # the budget must stay below max_tokens: the default comes on top
        body = anthropic.build_body("m", hi, {}, {"thinking_budget": budget})
        assert body["max_tokens"] == anthropic.DEFAULT_MAX_TOKENS + budget
        assert body["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert anthropic.build_body("m", hi, {"max_tokens": 20_000}, {"thinking_budget": 10_000})["max_tokens"] == 20_000


def test_a_conversation_from_elsewhere_continues_on_an_openai_style_api() -> None:
    """An assistant turn that said nothing is left out (content null without tool calls is
    refused); Mistral gets every tool call id as 9 letters and digits, a call and its result alike."""
    turns: list[ChatMessage] = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "go on"},
        {"role": "assistant", "content": [
            {"type": "tool_call", "id": "toolu_01A09q90qw90lq917835lq9", "name": "f", "arguments": {}},
            {"type": "tool_call", "id": "call_938da9019aaf4d3991ffe825", "name": "f", "arguments": {}},
            {"type": "tool_call", "id": "D681PevKs", "name": "f", "arguments": {}}]},
        {"role": "tool", "content": [
            {"type": "tool_result", "tool_call_id": "toolu_01A09q90qw90lq917835lq9", "content": "a"},
            {"type": "tool_result", "tool_call_id": "call_938da9019aaf4d3991ffe825", "content": "b"},
            {"type": "tool_result", "tool_call_id": "D681PevKs", "content": "c"}]},
    ]  # fmt: skip
    openai = build_body("m", turns, {}, OpenAIProvider.dialect)["messages"]
    assert [m["role"] for m in openai] == ["user", "user", "assistant", "tool", "tool", "tool"]
    assert [c["id"] for c in openai[2]["tool_calls"]] == [m["tool_call_id"] for m in openai[3:]]
    mistral = build_body("m", turns, {}, MistralProvider.dialect)["messages"]
    ids = [c["id"] for c in mistral[2]["tool_calls"]]
    assert all(re.fullmatch(r"[A-Za-z0-9]{9}", i) for i in ids) and len(set(ids)) == 3
    assert ids == [m["tool_call_id"] for m in mistral[3:]] and ids[2] == "D681PevKs"  # its own id as it was


def test_a_turn_s_thinking_goes_back_to_anthropic_only_and_only_signed_or_redacted() -> None:
    thought: list[ChatMessage] = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [
            {"type": "thinking", "text": "Plan.", "signature": "sig-1"},
            {"type": "thinking", "text": "", "redacted": "opaque"},
            {"type": "thinking", "text": "unsigned, from another provider"},
            {"type": "tool_call", "id": "toolu_1", "name": "get_weather", "arguments": {"city": "Oslo"}}]},
        {"role": "tool", "content": [{"type": "tool_result", "tool_call_id": "toolu_1", "content": "cold"}]},
    ]  # fmt: skip
    for message in thought:
        validate("ChatMessage", message)
    turn = anthropic.build_body("m", thought, {}, {})["messages"][1]
    assert turn["content"] == [
        {"type": "thinking", "thinking": "Plan.", "signature": "sig-1"},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}},
    ]
    others = [build_body("m", thought, {}, ChatDialect()), gemini.build_body(thought, {}),
              ollama.build_body("m", thought, {}, {})]  # fmt: skip
    for body in others:
        sent = json.dumps(body)
        assert "Plan." not in sent and "opaque" not in sent and "unsigned" not in sent


def test_a_turn_left_with_no_content_is_not_sent_to_anthropic_or_gemini() -> None:
    """Both APIs answer 400 to a turn with no content; one made only of another provider's unsigned
    thinking, or of empty text, is left out, and the turns either side of it become one."""
    history: list[ChatMessage] = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [{"type": "thinking", "text": "unsigned, from another provider"}]},
        {"role": "user", "content": "again"},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "and again"},
    ]
    for message in history:
        validate("ChatMessage", message)
    texts = ["hi", "again", "and again"]
    sent = anthropic.build_body("m", history, {}, {})["messages"]
    assert sent == [{"role": "user", "content": [{"type": "text", "text": t} for t in texts]}]
    assert gemini.build_body(history, {})["contents"] == [{"role": "user", "parts": [{"text": t} for t in texts]}]


MODEL_LISTS: dict[str, tuple[list[Reply], list[str], list[str]]] = {
    # provider -> (pages the server answers, paths the bridge must ask for, model ids it must report)
    "openai": ([Reply.json({"object": "list", "data": [{"id": "gpt-4o", "object": "model"}, {"id": "o3"}]})],
               ["/v1/models"], ["gpt-4o", "o3"]),
    "mistral": ([Reply.json({"object": "list", "data": [{"id": "mistral-small-latest"}]})],
                ["/v1/models"], ["mistral-small-latest"]),
    "openrouter": ([Reply.json({"data": [{"id": "anthropic/claude-haiku-4.5", "name": "Claude Haiku"}]})],
                   ["/api/v1/models"], ["anthropic/claude-haiku-4.5"]),
    "azure": ([Reply.json({"data": [{"id": "gpt-4o-2024-08-06"}]})],
              ["/openai/models?api-version=2024-10-21"], ["gpt-4o-2024-08-06"]),
    "anthropic": (
        [Reply.json({"data": [{"id": "claude-a", "display_name": "A"}], "has_more": True, "last_id": "claude-a"}),
         Reply.json({"data": [{"id": "claude-b", "display_name": "B"}], "has_more": False, "last_id": "claude-b"})],
        ["/v1/models?limit=1000", "/v1/models?limit=1000&after_id=claude-a"], ["claude-a", "claude-b"],
    ),
    "gemini": (
        [Reply.json({"models": [{"name": "models/gemini-2.5-flash", "displayName": "Flash",
                                 "inputTokenLimit": 1048576,
                                 "supportedGenerationMethods": ["generateContent", "countTokens"]},
                                {"name": "models/embedding-001", "supportedGenerationMethods": ["embedContent"]}],
                     "nextPageToken": "p2"}),
         Reply.json({"models": [{"name": "models/gemini-2.5-pro",
                                 "supportedGenerationMethods": ["generateContent"]}]})],
        ["/v1beta/models?pageSize=1000", "/v1beta/models?pageSize=1000&pageToken=p2"],
        ["gemini-2.5-flash", "gemini-2.5-pro"],
    ),
    "ollama": ([Reply.json({"models": [{"name": "llama3.2:3b", "model": "llama3.2:3b"}, {"name": "qwen3:8b"}]})],
               ["/api/tags"], ["llama3.2:3b", "qwen3:8b"]),
}  # fmt: skip


@pytest.mark.parametrize("provider", sorted(MODEL_LISTS))
async def test_models_come_from_the_providers_list_endpoint(server: FakeServer, provider: str) -> None:
    pages, paths, ids = MODEL_LISTS[provider]
    server.enqueue(*pages)
    before = len(server.requests)
    async with engine(provider) as bridge:
        models = await bridge.list_models(provider, server.url + BASE_PATHS.get(provider, ""))
    for model in models:
        validate("ModelInfo", model)
    assert [m["id"] for m in models] == ids and {m["provider"] for m in models} == {provider}
    sent = server.requests[before:]
    assert [(r.method, r.path) for r in sent] == [("GET", path) for path in paths]
    _, present, absent, _ = EXPECTED[provider]
    for request_sent in sent:
        assert {k: request_sent.headers.get(k) for k in present} == present and not absent & set(request_sent.headers)


async def test_a_failing_model_list_raises_the_mapped_error(server: FakeServer) -> None:
    server.enqueue(Reply.json({"error": {"message": "Incorrect API key provided"}}, 401))
    async with engine("openai") as bridge:
        with pytest.raises(AuthError, match="Incorrect API key provided"):
            await bridge.list_models("openai", server.url + "/v1")


RESPONSES_BODY = {
    "model": "m", "stream": True, "store": False, "instructions": "Be brief.",
    "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "What is this, and the weather?"},
                                     {"type": "input_image", "image_url": f"data:image/png;base64,{IMAGE}"}]},
        {"role": "assistant", "content": "Checking."},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}},
        {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
        {"role": "user", "content": "Thanks"},
    ],
    "temperature": 0.2, "top_p": 0.9, "max_output_tokens": 50,
    "tools": [{"type": "function", "name": "get_weather", "description": WEATHER["description"],
               "parameters": WEATHER["parameters"], "strict": False}],  # the Responses API's default is true
    "tool_choice": {"type": "function", "name": "get_weather"},
}  # fmt: skip


def _responses_reply(*deltas: str) -> Reply:
    done = {
        "type": "response.completed",
        "response": {"status": "completed", "usage": {"input_tokens": 3, "output_tokens": 2}},
    }
    return Reply.sse(*({"type": "response.output_text.delta", "delta": d} for d in deltas), done)


@pytest.mark.parametrize(
    ("provider", "settings", "path", "auth", "model"),
    [("openai", {}, "/v1/responses", {"authorization": f"Bearer {KEY}"}, "m"),
     ("azure", {}, "/openai/v1/responses", {"api-key": KEY}, "m"),
     ("azure", {"deployment": "prod-gpt5"}, "/openai/v1/responses", {"api-key": KEY}, "prod-gpt5")],
)  # fmt: skip
async def test_responses_api_request_matches_the_documented_api(
    server: FakeServer, provider: str, settings: dict[str, str], path: str, auth: dict[str, str], model: str
) -> None:
    server.enqueue(_responses_reply("Sunny", " and", " 18C."))
    before = len(server.requests)
    chat = request(provider, server.url + BASE_PATHS.get(provider, ""), CONVERSATION, **OPTIONS)
    chunks = await collect(engine(provider, api="responses", **settings), chat)
    assert text(chunks) == "Sunny and 18C."
    assert chunks[-2:] == [{"type": "usage", "input_tokens": 3, "output_tokens": 2},
                           {"type": "done", "finish_reason": "stop"}]  # fmt: skip
    sent = server.requests[before]
    assert (sent.method, sent.path) == ("POST", path)
    assert {name: sent.headers.get(name) for name in auth} == auth and "api-version" not in sent.path
    body = sent.json
    for item in body["input"]:
        if item.get("type") == "function_call":
            item["arguments"] = json.loads(item["arguments"])
    assert body == {**RESPONSES_BODY, "model": model}


async def test_an_unknown_api_setting_is_a_config_error(server: FakeServer) -> None:
    before = len(server.requests)
    chunks = await collect(engine("mistral", api="responses"), request("mistral", server.url + "/v1"))
    assert chunks[0]["type"] == "error" and chunks[0]["code"] == "invalid_config" and "'chat'" in chunks[0]["message"]
    assert len(server.requests) == before
