"""The CLI as a user runs it: a real subprocess of the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from protocol import validate


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openllm-bridge", *args], input=stdin, capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_chat_json_prints_only_valid_stream_chunks(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "chat", "--provider", "mock", "--model", "echo", "--json", "hello")
    assert result.returncode == 0, result.stderr
    chunks = [json.loads(line) for line in result.stdout.splitlines()]
    for chunk in chunks:
        validate("StreamChunk", chunk)
    assert [c["type"] for c in chunks] == ["text", "text", "text", "usage", "done"]
    assert chunks[-2:] == [
        {"type": "usage", "input_tokens": 1, "output_tokens": 3},
        {"type": "done", "finish_reason": "stop"},
    ]
    assert result.stderr == ""


def test_chat_text_streams_to_stdout_and_reads_stdin(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "chat", "--provider", "mock", "--model", "echo", stdin="from a pipe\n")
    assert (result.returncode, result.stdout) == (0, "You said: from a pipe\n")


def test_system_prompt_counts_as_input(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "chat", "--provider", "mock", "--model", "echo", "--system", "be brief", "--json", "hi")
    usage = [json.loads(line) for line in result.stdout.splitlines()][-2]
    assert usage == {"type": "usage", "input_tokens": 3, "output_tokens": 3}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "nope", "--model", "m"], "unknown provider 'nope'; known providers: openai, anthropic"),
        (["--provider", "openai", "--model", "gpt-4o"], "no API key for OpenAI: set OPENAI_API_KEY"),
        (["--provider", "mock", "--model", "gpt-9"], "the mock provider has no model 'gpt-9'; its models are: echo"),
    ],
)
def test_configuration_errors_go_to_stderr_with_exit_2(cli_env: dict[str, str], args: list[str], message: str) -> None:
    result = run(cli_env, "chat", *args, "--json", "hi")
    assert result.returncode == 2  # a usage or configuration problem, as the README says
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    for line in result.stdout.splitlines():
        validate("StreamChunk", json.loads(line))


def test_stream_error_exit_code_and_chunks(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "chat", "--provider", "mock", "--model", "error", "--json", "rate_limited")
    assert result.returncode == 1
    chunks = [json.loads(line) for line in result.stdout.splitlines()]
    assert chunks[0]["code"] == "rate_limited" and chunks[-1] == {"type": "done", "finish_reason": "error"}
    assert "rate_limited" in result.stderr
    plain = run(cli_env, "chat", "--provider", "mock", "--model", "error", "rate_limited")
    assert (plain.returncode, plain.stdout) == (1, "")  # no reply: not even an empty line on stdout


def test_empty_prompt_is_a_usage_error(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "chat", "--provider", "mock", "--model", "echo", stdin="")
    assert result.returncode == 2 and "give a prompt" in result.stderr


@pytest.mark.parametrize(
    ("flags", "shown"),
    [
        (("--max-tokens", "-3"), "--max-tokens: must be at least 1"),
        (("--max-tokens", "0"), "--max-tokens: must be at least 1"),
        (("--temperature", "5"), "--temperature: must be at most 2"),
        (("--temperature", "-1"), "--temperature: must be at least 0"),
    ],
)
def test_chat_options_get_the_checks_the_api_applies(
    cli_env: dict[str, str], flags: tuple[str, ...], shown: str
) -> None:
    result = run(cli_env, "chat", "--provider", "mock", "--model", "echo", *flags, "hi")
    assert (result.returncode, result.stdout) == (2, "") and f"openllm-bridge: {shown}" in result.stderr


def test_providers_lists_all_eight(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "providers", "--json")
    listed = json.loads(result.stdout)["providers"]
    validate("ProvidersListResult", {"providers": listed})
    assert len(listed) == 8
    table = run(cli_env, "providers").stdout
    assert "GEMINI_API_KEY or GOOGLE_API_KEY" in table and "(no key needed)" in table


def test_models_of_the_mock_provider(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "models", "mock", "--json")
    validate("ModelsListResult", json.loads(result.stdout))
    assert run(cli_env, "models", "mock").stdout.split() == ["echo", "think", "slow", "long", "tools", "error"]


def test_log_line_goes_to_stderr_never_stdout(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "chat", "--provider", "mock", "--model", "echo", "--json", "--log-level", "info", "hi")
    assert "chat provider=mock model=echo" in result.stderr and "outcome=ok" in result.stderr
    assert all(line.startswith("{") for line in result.stdout.splitlines())


def test_chat_path_does_not_import_the_mcp_sdk_or_the_http_client(cli_env: dict[str, str]) -> None:
    """Nor the other commands' parts: only the module of the command being run is loaded."""
    heavy = ("mcp", "httpx2", "bridge.http", "jsonschema", "pydantic", "bridge.server", "bridge.rpc", "bridge.host",
             "bridge.mcp")  # fmt: skip
    probe = (
        "import sys, io, contextlib\n"
        "from bridge.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--log-level', 'none', 'chat', '--provider', 'mock', '--model', 'echo', '--json', 'hi'])\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=cli_env, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("where", ["before", "after"])
def test_logging_options_work_before_or_after_the_command(cli_env: dict[str, str], where: str) -> None:
    chat = ["chat", "--provider", "mock", "--model", "echo", "--json", "hi"]
    args = ["--log-level", "info", *chat] if where == "before" else [*chat[:1], "--log-level", "info", *chat[1:]]
    result = run(cli_env, *args)
    assert "chat provider=mock model=echo" in result.stderr
