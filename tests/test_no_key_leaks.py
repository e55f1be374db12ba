"""A key never shows in logs, output, errors or reprs: a full store/resolve/chat run, in
subprocesses of the CLI and in-process, with everything captured and searched for the key."""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import AsyncGenerator
from pathlib import Path

import pytest
from bridge_process import NdjsonPeer, serve
from fake_provider import FakeServer, Reply
from fake_provider.replies import text_reply
from secret_service import SessionBus

from bridge import errors, logs
from bridge.engine import Engine
from bridge.providers import ModelConfig, Provider, ProviderSpec, Registry
from bridge.settings_api import SettingsAPI
from protocol import ChatMessage, StreamChunk, StreamOptions

KEY = "sk-proj-LEAKCHECK0123456789abcdefWXYZ"
MASK = "sk-…WXYZ"
log = logging.getLogger("openllm.test.keyed")


def assert_no_key(text: str) -> None:
    assert KEY not in text
    for start in range(0, len(KEY) - 12):  # no telling fragment either (the mask shows 3 + 4 characters)
        assert KEY[start : start + 12] not in text, f"a fragment of the key leaked: {KEY[start : start + 12]}"


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        ["openllm-bridge", *args, "--log-level", "debug"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    return result.stdout + result.stderr


def test_a_cli_run_never_prints_or_logs_the_key(
    keychain_bus: SessionBus, cli_env: dict[str, str], tmp_path: Path, openllm_home: Path
) -> None:
    log_file = tmp_path / "bridge.log"
    literal = tmp_path / "literal.json"
    literal.write_text(json.dumps({"providers": [{"name": "openai", "api_key": KEY}]}))
    outputs = [run(cli_env, "secrets", "set", "openai", stdin=KEY)]
    with FakeServer() as upstream:  # a chat whose key comes from the keychain; then an upstream 401 echoing it
        upstream.enqueue(
            text_reply("openai", ["fine"]),
            Reply.json({"error": {"message": f"Incorrect API key provided: {KEY}", "type": "invalid_request"}}, 401),
        )
        chat = ["chat", "--provider", "openai", "--model", "m", "--api-base", upstream.url, "--log-file", str(log_file)]
        outputs += [run(cli_env, *chat, "hi"), run(cli_env, *chat, "--json", "hi")]
        assert [r.headers.get("authorization") for r in upstream.requests] == [f"Bearer {KEY}"] * 2
    outputs += [
        run(cli_env, "secrets", "where"),
        run(cli_env, "secrets", "where", "openai", "--json"),
        run(cli_env, "doctor"),
        run(cli_env, "doctor", "--json"),
        run(cli_env, "config", "import", str(literal)),  # refused: a key in a config file
        run(cli_env, "chat", "--provider", "mock", "--model", "echo", "--log-file", str(log_file), "hello"),
        run({**cli_env, "OPENAI_API_KEY": KEY}, "secrets", "where", "openai"),
        run({**cli_env, "OPENAI_API_KEY": KEY}, "secrets", "set", "openai", "--store", "host", stdin=KEY),
        run(cli_env, "secrets", "delete", "openai"),
    ]
    (openllm_home / "config.yaml").write_text(f"providers:\n  - name: openai\n    token: {KEY}\n")
    outputs.append(run(cli_env, "config", "show"))
    outputs.append(log_file.read_text())
    everything = "\n".join(outputs)
    assert "stored the key for openai in the keychain" in everything and MASK in everything  # the run did happen
    assert "holds an API key" in everything and "chat provider=mock" in everything and "fine" in everything
    assert "Incorrect API key provided" in everything and "chat provider=openai" in everything
    assert_no_key(everything)


class KeyedProvider(Provider):
    """A provider that needs a key, checks it got the right one, and logs its config as a careless
    provider would."""

    async def stream_chat(
        self, messages: list[ChatMessage], config: ModelConfig, options: StreamOptions
    ) -> AsyncGenerator[StreamChunk, None]:
        assert config.api_key is not None and config.api_key.reveal() == KEY
        log.debug("calling upstream with %r", config)
        yield {"type": "text", "text": "ok"}
        yield {"type": "done", "finish_reason": "stop"}


KEYED = Registry(
    [
        ProviderSpec("keyed", "Keyed", None, ("KEYED_API_KEY",), True, {}, f"{__name__}:KeyedProvider", uses_http=False)  # type: ignore[arg-type]
    ]
)


@pytest.mark.anyio
async def test_store_resolve_and_chat_in_process_leave_no_key_in_logs_or_results(
    keychain_bus: SessionBus,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logs.configure("debug")  # the bridge's own handler, to stderr, with its redaction filter
    monkeypatch.setattr(logging.getLogger("openllm"), "propagate", True)  # and caplog sees the raw records
    caplog.set_level(logging.DEBUG)
    api = SettingsAPI.from_environment(registry=KEYED, workspace=tmp_path)
    seen: list[object] = [
        await api.secrets_store({"provider": "keyed", "value": KEY}),
        await api.secrets_resolve({"provider": "keyed"}),
        await api.secrets_list({}),
        await api.secrets.resolve("keyed"),
    ]
    engine = Engine(registry=KEYED, secrets=api.secrets, config=api.config)
    request = {"provider": "keyed", "model": "m", "messages": [{"role": "user", "content": "hi"}]}
    async with engine.chat(request) as chunks:  # type: ignore[arg-type]
        seen.append([chunk async for chunk in chunks])
    for failing in (
        api.secrets_store({"provider": "keyed", "value": KEY, "destination": "host"}),
        api.config_set_provider({"config": {"name": "keyed", "secret": KEY}}),  # type: ignore[typeddict-item]
    ):
        with pytest.raises(errors.BridgeError) as info:
            await failing
        seen += [repr(info.value), str(info.value)]
    seen.append(await api.secrets_delete({"provider": "keyed"}))
    logs.configure("none")
    captured = capsys.readouterr()
    everything = "\n".join([repr(seen), caplog.text, captured.out, captured.err])
    assert MASK in everything and "calling upstream with ModelConfig(" in everything
    assert_no_key(everything)
    revealed = await SettingsAPI.from_environment(registry=KEYED).secrets_resolve({"provider": "keyed", "reveal": True})
    assert "value" not in revealed  # deleted above


# A key with no prefix the redactor knows (Mistral's and Azure's look like this): only the
# message's wording can keep it out of an answer, not the redaction of key shapes.
BARE_KEY = "Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lm"


def test_a_key_sent_in_the_wrong_place_is_not_quoted_back_in_the_invalid_params_error(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    misplaced = [
        ("secrets/store", ["mistral", BARE_KEY]),
        ("secrets/store", {"provider": "mistral", "value": {"key": BARE_KEY}}),
        ("secrets/store", {"provider": "mistral", "value": BARE_KEY, "destination": BARE_KEY}),
        ("config/setProvider", {"config": {"name": "mistral", "api_key_env": 7, "api_base": [BARE_KEY]}}),
        ("secrets/resolve", {"provider": "mistral", BARE_KEY + BARE_KEY: True}),
        ("secrets/resolve", {"provider": "mistral", BARE_KEY: True}),  # a name as long as a key
    ]
    with serve(cli_env, tmp_path) as bridge:
        peer = NdjsonPeer(bridge.connect())
        answers = [peer.ask({"jsonrpc": "2.0", "id": i, "method": method, "params": params})
                   for i, (method, params) in enumerate(misplaced)]  # fmt: skip
        peer.close()
        log = bridge.log()
    assert [answer["error"]["code"] for answer in answers] == [-32602] * len(misplaced), answers
    text = json.dumps(answers) + log
    assert "must be of type object" in text and "must be one of" in text  # the reason is still told
    for start in range(0, len(BARE_KEY) - 8):
        fragment = BARE_KEY[start : start + 8]
        assert fragment not in text, f"a fragment of the key came back: {fragment}"


def test_a_key_pasted_as_the_name_of_its_variable_is_refused_without_being_repeated(
    cli_env: dict[str, str], openllm_home: Path
) -> None:
    output = run(cli_env, "config", "set-provider", "mistral", "--api-key-env", BARE_KEY)
    assert "looks like a key, not the name of a variable" in output
    assert BARE_KEY not in output and not (openllm_home / "config.yaml").exists()
    azure_key = "d912cda8fc10a6bf8186db4554ac937b"  # Azure's: 32 hex digits
    assert "looks like a key" in run(cli_env, "config", "set-provider", "azure", "--api-key-env", azure_key)
    few_digits = "ZxQwErTyUiOpAsDfGhJkLmNbVcXz1a2B"  # Mistral's shape, with two digits only
    assert "looks like a key" in run(cli_env, "config", "set-provider", "mistral", "--api-key-env", few_digits)
    assert "written to" in run(cli_env, "config", "set-provider", "mistral", "--api-key-env", "MY_Mistral_Key2024")
