"""The fixtures the MCP conformance suite expects of a server ("everything"-style tools,
resources and prompts), registered only by the tests: ``openllm-bridge mcp --http
--extra-module tests/mcp_fixtures.py``. They are not part of the shipped server.

Names, contents and behaviour follow the suite's scenario descriptions (``conformance list``
and each scenario's checks): e.g. ``test_tool_with_progress`` reports three increasing
progress values, ``test_error_handling`` fails as a tool result with ``isError``.
"""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any

from mcp.server import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.prompts.base import UserMessage
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp.types import (
    AudioContent,
    Completion,
    CompletionArgument,
    CompletionContext,
    EmbeddedResource,
    EmptyResult,
    ImageContent,
    PromptReference,
    ResourceTemplateReference,
    SamplingMessage,
    SetLevelRequestParams,
    SubscribeRequestParams,
    TextContent,
    TextResourceContents,
    UnsubscribeRequestParams,
)
from pydantic import BaseModel, Field

from bridge.mcp import BridgeServer, ExternalTool, ToolOutcome

# The 2025-11-25 requirement set still tests logging, which the SDK marks deprecated for 2026-07-28.
warnings.filterwarnings("ignore", category=MCPDeprecationWarning)

PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
WAV_EMPTY = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="


class Contact(BaseModel):
    username: str = Field(description="User name")
    email: str = Field(description="E-mail address")


class WithDefaults(BaseModel):
    name: str = Field(default="John Doe", description="Name")
    age: int = Field(default=30, description="Age")
    score: float = Field(default=95.5, description="Score")
    status: str = Field(default="active", description="Status", json_schema_extra={"enum": ["active", "inactive"]})
    verified: bool = Field(default=True, description="Verified")


def _one_of(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"const": value, "title": title} for value, title in pairs]


class EnumVariants(BaseModel):
    untitledSingle: str = Field(json_schema_extra={"enum": ["option1", "option2", "option3"]})
    titledSingle: str = Field(json_schema_extra={"oneOf": _one_of(("value1", "First"), ("value2", "Second"))})
    legacyEnum: str = Field(json_schema_extra={"enum": ["opt1", "opt2"], "enumNames": ["Option One", "Option Two"]})
    untitledMulti: list[str] = Field(json_schema_extra={"items": {"type": "string", "enum": ["option1", "option2"]}})
    titledMulti: list[str] = Field(
        json_schema_extra={"items": {"anyOf": _one_of(("value1", "First"), ("value2", "Second"))}}
    )


def _register_tools(server: MCPServer[Any]) -> None:
    @server.tool(description="Returns one text block")
    def test_simple_text() -> str:
        return "This is a simple text response for testing."

    @server.tool(description="Returns an image")
    def test_image_content() -> list[ImageContent]:
        return [ImageContent(type="image", data=PNG_1X1, mime_type="image/png")]

    @server.tool(description="Returns audio")
    def test_audio_content() -> list[AudioContent]:
        return [AudioContent(type="audio", data=WAV_EMPTY, mime_type="audio/wav")]

    def embedded(uri: str, mime_type: str, text: str) -> EmbeddedResource:
        return EmbeddedResource(type="resource", resource=TextResourceContents(uri=uri, mime_type=mime_type, text=text))

    @server.tool(description="Returns an embedded resource")
    def test_embedded_resource() -> list[EmbeddedResource]:
        return [embedded("test://embedded-resource", "text/plain", "This is an embedded resource content.")]

    @server.tool(description="Returns text, an image and a resource")
    def test_multiple_content_types() -> list[TextContent | ImageContent | EmbeddedResource]:
        return [
            TextContent(type="text", text="Multiple content types test:"),
            ImageContent(type="image", data=PNG_1X1, mime_type="image/png"),
            embedded("test://mixed-content-resource", "application/json", json.dumps({"test": "data"})),
        ]

    @server.tool(description="Sends three log messages")
    async def test_tool_with_logging(ctx: Context) -> str:
        for step in ("started", "processing", "completed"):
            await ctx.info(f"Tool execution {step}")
        return "Tool with logging executed successfully"

    @server.tool(description="Reports progress three times")
    async def test_tool_with_progress(ctx: Context) -> str:
        for done in (0, 50, 100):
            await ctx.report_progress(done, 100, message=f"{done}% done")
        return "progress reported"

    @server.tool(description="Drops its SSE stream mid-call; the client resumes it with Last-Event-ID")
    async def test_reconnection(ctx: Context) -> str:
        await ctx.info("Before disconnect")
        await ctx.close_sse_stream()
        await ctx.info("After reconnect")
        return "Reconnection test completed"

    @server.tool(description="Fails as a tool result")
    def test_error_handling() -> str:
        raise ToolError("This tool intentionally returns an error for testing")

    @server.tool(description="Asks the client's model")
    async def test_sampling(prompt: str, ctx: Context) -> str:
        result = await ctx.session.create_message(
            messages=[SamplingMessage(role="user", content=TextContent(type="text", text=prompt))],
            max_tokens=100,
            related_request_id=ctx.request_id,
        )
        text = result.content.text if isinstance(result.content, TextContent) else "(no text)"
        return f"LLM response: {text}"

    async def elicit(ctx: Context, message: str, schema: type[BaseModel]) -> str:
        result = await ctx.elicit(message=message, schema=schema)
        content = result.data.model_dump_json() if result.action == "accept" else "{}"
        return f"action={result.action}, content={content}"

    @server.tool(description="Asks the user")
    async def test_elicitation(message: str, ctx: Context) -> str:
        return await elicit(ctx, message, Contact)

    @server.tool(description="Asks the user, with defaults")
    async def test_elicitation_sep1034_defaults(ctx: Context) -> str:
        return await elicit(ctx, "Please confirm your details", WithDefaults)

    @server.tool(description="Asks the user to pick from enums")
    async def test_elicitation_sep1330_enums(ctx: Context) -> str:
        return await elicit(ctx, "Please pick", EnumVariants)


def _register_resources_and_prompts(server: MCPServer[Any]) -> None:
    @server.resource("test://static-text", mime_type="text/plain", description="Static text")
    def static_text() -> str:
        return "This is the content of the static text resource."

    @server.resource("test://static-binary", mime_type="image/png", description="Static binary")
    def static_binary() -> bytes:
        return base64.b64decode(PNG_1X1)

    @server.resource("test://template/{id}/data", mime_type="application/json", description="Templated")
    def templated(id: str) -> str:
        return json.dumps({"id": id, "data": f"Data for ID: {id}"})

    @server.resource("test://watched-resource", mime_type="text/plain", description="Subscribable")
    def watched() -> str:
        return "Watched resource content"

    @server.prompt(description="A prompt without arguments")
    def test_simple_prompt() -> list[UserMessage]:
        return [UserMessage("This is a simple prompt for testing.")]

    @server.prompt(description="A prompt with two arguments")
    def test_prompt_with_arguments(arg1: str, arg2: str) -> list[UserMessage]:
        return [UserMessage(f"Prompt with arguments: arg1={arg1!r}, arg2={arg2!r}")]

    @server.prompt(description="A prompt embedding a resource")
    def test_prompt_with_embedded_resource(resourceUri: str) -> list[UserMessage]:
        resource = TextResourceContents(uri=resourceUri, mime_type="text/plain", text="Embedded resource content.")
        return [UserMessage(EmbeddedResource(type="resource", resource=resource)), UserMessage("Process it.")]

    @server.prompt(description="A prompt with an image")
    def test_prompt_with_image() -> list[UserMessage]:
        return [UserMessage(ImageContent(type="image", data=PNG_1X1, mime_type="image/png")), UserMessage("Look.")]

    @server.completion()
    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion:
        return Completion(values=[], total=0, has_more=False)


def _register_methods(server: MCPServer[Any]) -> None:
    """Methods MCPServer has no public hook for yet, added on its low-level server."""
    subscriptions: set[str] = set()

    async def set_level(ctx: ServerRequestContext[Any], params: SetLevelRequestParams) -> EmptyResult:
        return EmptyResult()

    async def subscribe(ctx: ServerRequestContext[Any], params: SubscribeRequestParams) -> EmptyResult:
        subscriptions.add(str(params.uri))
        return EmptyResult()

    async def unsubscribe(ctx: ServerRequestContext[Any], params: UnsubscribeRequestParams) -> EmptyResult:
        subscriptions.discard(str(params.uri))
        return EmptyResult()

    lowlevel = server._lowlevel_server
    lowlevel.add_request_handler("logging/setLevel", SetLevelRequestParams, set_level)
    lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, subscribe)
    lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, unsubscribe)


# A schema using 2020-12 keywords, which a server must pass on untouched. It comes through the
# bridge's proxy seam, the path the host's and other MCP servers' tools take.
SCHEMA_2020_12: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {"address": {"$anchor": "addr", "type": "object", "properties": {"city": {"type": "string"}}}},
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}


async def _proxied_tools() -> list[ExternalTool]:
    async def call(arguments: dict[str, Any]) -> ToolOutcome:
        return ToolOutcome(f"received {sorted(arguments)}")

    return [ExternalTool("json_schema_2020_12_tool", "Takes 2020-12 arguments", SCHEMA_2020_12, call)]


def register(server: BridgeServer) -> None:
    server.add_tool_source(_proxied_tools)
    _register_tools(server)
    _register_resources_and_prompts(server)
    _register_methods(server)
