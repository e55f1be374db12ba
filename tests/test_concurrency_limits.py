"""Limits that would cap how many chats run at once: the HTTP client's connection pool, and the
open-file limit of a serve process (each chat holds an upstream connection, each client one)."""

from __future__ import annotations

import json
import resource
import subprocess
from pathlib import Path

import anyio
import pytest
from fake_provider import STALL, FakeServer, Reply
from fake_provider.harness import engine, request
from fake_provider.replies import openai_event

STREAMS = 120  # more than httpx's default pool of 100 connections


@pytest.mark.anyio
async def test_more_chats_at_once_than_a_default_connection_pool_all_reach_the_provider() -> None:
    """bench/concurrency.py found half of 1,000 streams failing: the HTTP client's pool allowed 100
    connections, so the rest queued behind long streams and timed out waiting for one."""
    with FakeServer() as server:
        server.enqueue(*[Reply.sse(openai_event({"content": f"s{i} "}), STALL) for i in range(STREAMS)])
        bridge = engine("openai", timeouts={"max_retries": 0})
        first_chunks = 0
        all_streaming = anyio.Event()

        async def chat() -> None:
            nonlocal first_chunks
            async with bridge.chat(request("openai", server.url + "/v1")) as chunks:
                async for _ in chunks:
                    first_chunks += 1
                    if first_chunks == STREAMS:
                        all_streaming.set()
                    await anyio.sleep_forever()  # the stream stays open, as a long answer would

        async with bridge, anyio.create_task_group() as tg:
            for _ in range(STREAMS):
                tg.start_soon(chat)
            await anyio.to_thread.run_sync(server.wait_requests, STREAMS, 10.0)
            with anyio.fail_after(10):
                await all_streaming.wait()
            tg.cancel_scope.cancel()
        server.wait_closed(10.0, STREAMS)  # and leaving closed every upstream connection


def test_serve_lifts_its_open_file_limit_to_the_hard_limit(cli_env: dict[str, str], tmp_path: Path) -> None:
    """A soft limit of 1,024 (a common default) would fail the 1,000th concurrent chat."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = min(256, hard)

    def lower_soft_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))

    command = ["openllm-bridge", "serve", "--socket", str(tmp_path / "b.sock")]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=cli_env, preexec_fn=lower_soft_limit) as proc:
        try:
            assert proc.stdout is not None
            ready = json.loads(proc.stdout.readline())
            limits = Path(f"/proc/{ready['pid']}/limits").read_text()
            soft = next(line.split()[3] for line in limits.splitlines() if line.startswith("Max open files"))
            expected = hard if hard != resource.RLIM_INFINITY else 1 << 20
            assert int(soft) == min(expected, 1 << 20), limits
        finally:
            proc.terminate()
