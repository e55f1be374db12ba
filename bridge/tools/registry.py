"""The registry: every tool a model or an agent may see, from every source, under one name each.

This is the one place where internal tools are held back: a tool flagged internal by its source
(the host's ``_internal: true``) or named ``openllm_*`` is never listed by :meth:`tools` and
never callable through :meth:`call`, whatever asks (the tool-calling loop, the JSON-RPC
``tools/list``, the MCP server). Internal tools stay reachable only through their source, for
the bridge's own use.

Each name is made one every provider takes (:func:`function_name`); after that, the configured
:class:`ToolFilter` applies to it; a name offered by two sources goes to
the first source (the host before MCP servers, in the order given) and the clash is logged.
A source that cannot be reached (host down, MCP server crashed) or does not list its tools in
time (``list_timeout``) is skipped with a warning, so one broken source does not take the
others' tools away. A result, or a source's error, has keys masked, and a result longer than
:data:`MAX_RESULT_CHARS` is cut there with a note saying so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, cast

import anyio
from anyio.abc import TaskGroup

from bridge.errors import BridgeError, ToolError
from bridge.redact import redact
from bridge.tools.base import Tool, ToolResult, ToolSource
from bridge.tools.settings import ToolFilter
from protocol import ToolSpec

log = logging.getLogger("openllm.tools")

INTERNAL_PREFIX = "openllm_"
MAX_NAME = 64
_NOT_IN_A_NAME = re.compile(r"[^A-Za-z0-9_-]")
MAX_RESULT_CHARS = 100_000  # about 25,000 tokens: what one tool result may put before a model


def is_internal_tool(name: str, flagged: bool = False) -> bool:
    """The one rule for what a model or an agent never sees (also used by the MCP server's proxy)."""
    return flagged or name.startswith(INTERNAL_PREFIX)


def is_internal(tool: Tool) -> bool:
    return is_internal_tool(tool.name, tool.internal) or is_internal_tool(tool.source_name)


class ToolRegistry:
    """Enter it (``async with``) to start the sources that run in the background (MCP servers)."""

    def __init__(
        self, sources: Sequence[ToolSource] = (), tool_filter: ToolFilter | None = None, *, list_timeout: float = 10.0
    ) -> None:
        """``list_timeout``: how long a source may take to list its tools before it is skipped."""
        names = [source.name for source in sources]
        if len(set(names)) != len(names):
            raise ValueError(f"tool sources need distinct names: {names}")
        self.sources = list(sources)
        self.filter = tool_filter or ToolFilter()
        self.list_timeout = list_timeout
        self._index: dict[str, Tool] = {}
        self._holders: TaskGroup | None = None  # the tasks the background sources run in
        self._closing = anyio.Event()

    async def __aenter__(self) -> ToolRegistry:
        """Start the sources that run in the background side by side (each MCP server spawns and
        answers ``initialize`` in its own time: one slow or silent server does not add its wait to
        the others'), and return once each has started or given up."""
        background = [source for source in self.sources if hasattr(source, "__aenter__")]
        if not background:
            return self
        self._closing = anyio.Event()
        self._holders = anyio.create_task_group()
        await self._holders.__aenter__()
        try:
            started = [anyio.Event() for _ in background]
            for source, ready in zip(background, started, strict=True):
                self._holders.start_soon(self._hold, cast(AbstractAsyncContextManager[object], source), ready)
            for ready in started:
                await ready.wait()
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop the background sources, side by side too."""
        holders, self._holders = self._holders, None
        if holders is not None:
            self._closing.set()
            await holders.__aexit__(None, None, None)

    async def _hold(self, source: AbstractAsyncContextManager[object], ready: anyio.Event) -> None:
        """One background source, entered and left in a task of its own (its task groups must
        begin and end in the same task), from start until the registry closes."""
        try:
            async with source:
                ready.set()
                await self._closing.wait()
        except Exception:  # a source that fails to start or stop must not take the others with it
            log.exception("tool source %s failed", getattr(source, "name", source))
        finally:
            ready.set()

    async def tools(self) -> list[Tool]:
        """The tools a model may be offered now, in source order."""
        listings: list[list[Tool]] = [[] for _ in self.sources]

        async def list_one(i: int, source: ToolSource) -> None:
            with anyio.move_on_after(self.list_timeout) as waited:
                try:
                    listings[i] = await source.list_tools()
                except BridgeError as exc:
                    log.warning("tool source %s skipped: %s", source.name, exc.message)
            if waited.cancelled_caught:  # a source that hangs must not hang every listing and every call
                log.warning("tool source %s skipped: it did not list its tools within %g s", source.name,
                            self.list_timeout)  # fmt: skip

        async with anyio.create_task_group() as tg:
            for i, source in enumerate(self.sources):
                tg.start_soon(list_one, i, source)
        index: dict[str, Tool] = {}
        for listed in (t for listing in listings for t in listing):
            if is_internal(listed):
                continue
            name = function_name(listed.name)
            tool = listed if name == listed.name else dataclasses.replace(listed, name=name)
            if not self.filter.allows(tool.name):
                continue
            if tool.name in index:
                log.warning(
                    "tool %s of %s hidden: %s offers the same name", tool.name, tool.source, index[tool.name].source
                )
                continue
            index[tool.name] = tool
        self._index = index
        return list(index.values())

    async def specs(self) -> list[ToolSpec]:
        return [tool.spec() for tool in await self.tools()]

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Run a visible tool. An unknown, internal or filtered name raises ToolError."""
        tool = self._index.get(name)
        if tool is None:
            tool = next((t for t in await self.tools() if t.name == name), None)
        if tool is None:
            raise ToolError(f"no tool named {name!r} is available")
        source = next(s for s in self.sources if s.name == tool.source)
        try:
            result = await source.call_tool(tool, arguments)
        except ToolError as exc:  # a source's refusal may quote what the tool saw, a key among it
            raise ToolError(redact(exc.message)) from exc
        text = _within_limit(redact(result.text))  # a key a tool read or echoed reaches neither model nor log
        return result if text == result.text else dataclasses.replace(result, text=text)


def function_name(name: str) -> str:
    """``name`` as every provider takes a function name (letters, digits, ``_`` and ``-``, at most
    64: OpenAI's and Anthropic's rule, within Gemini's): other characters become ``_``, and a longer
    name keeps its first 55 characters and a hash of the whole, so that two stay apart. The source
    is still called by the name it gave (``Tool.source_name``)."""
    safe = _NOT_IN_A_NAME.sub("_", name) or "_"
    if len(safe) <= MAX_NAME:
        return safe
    return f"{safe[:55]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def _within_limit(text: str) -> str:
    """At most :data:`MAX_RESULT_CHARS` of a result: the rest would go into every later request
    of the conversation (a 20 MiB file read whole), past what any model takes."""
    if len(text) <= MAX_RESULT_CHARS:
        return text
    note = f"[cut: the tool returned {len(text):,} characters, the first {MAX_RESULT_CHARS:,} are above]"
    return f"{text[:MAX_RESULT_CHARS]}\n{note}"
