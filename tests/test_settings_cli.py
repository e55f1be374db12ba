"""``secrets``, ``config`` and ``doctor`` as a user runs them: real subprocesses of the installed
console script, a real keychain on a private bus, config files on disk."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest
from secret_service import SessionBus

from protocol import validate

KEY = "sk-proj-cli0123456789abcdefWXYZ"


def run(
    env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openllm-bridge", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_set_where_delete_through_the_keychain(keychain_bus: SessionBus, cli_env: dict[str, str]) -> None:
    stored = run(cli_env, "secrets", "set", "openai", stdin=KEY + "\n")
    assert stored.returncode == 0, stored.stderr
    assert stored.stdout == "stored the key for openai in the keychain\n"
    where = run(cli_env, "secrets", "where", "openai")
    assert where.stdout == "openai      keychain  sk-…WXYZ\n"
    listed = json.loads(run(cli_env, "secrets", "where", "--json").stdout)
    validate("SecretsListResult", listed)
    assert {s["provider"]: s["detail"] for s in listed["secrets"]}["openai"] == "keychain"

    shadowed = run({**cli_env, "OPENAI_API_KEY": "sk-from-env-0123456789abcd"}, "secrets", "where", "openai")
    assert shadowed.stdout == "openai      env:OPENAI_API_KEY  sk-…abcd  (also in keychain)\n"

    deleted = run(cli_env, "secrets", "delete", "openai")
    assert deleted.stdout == "deleted the key for openai from keychain\n"
    assert run(cli_env, "secrets", "where", "openai").stdout == "openai      no key\n"


def test_set_without_a_keychain_says_why_and_what_to_do(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "secrets", "set", "openai", stdin=KEY)
    assert result.returncode == 2
    assert "nowhere to store the key" in result.stderr and "DBUS_SESSION_BUS_ADDRESS" in result.stderr
    assert "environment variable" in result.stderr and "Traceback" not in result.stderr


def test_set_rejects_an_empty_key_and_an_unknown_provider(cli_env: dict[str, str]) -> None:
    assert run(cli_env, "secrets", "set", "openai", stdin="\n").returncode == 2
    unknown = run(cli_env, "secrets", "set", "opneai", stdin=KEY)
    assert unknown.returncode == 2 and "unknown provider 'opneai'" in unknown.stderr


def test_a_comment_in_a_hand_written_config_survives_set_provider(
    cli_env: dict[str, str], openllm_home: Path, tmp_path: Path
) -> None:
    config = openllm_home / "config.yaml"
    config.write_text(
        "# Written by hand: keep me\nproviders:\n  - name: ollama  # local models\n    models: [llama3]\n"
    )
    result = run(cli_env, "config", "set-provider", "ollama", "--api-base", "http://127.0.0.1:11434",
                 "--model", "llama3", "--model", "qwen2", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ollama: written to {config}\n"
    assert config.read_text() == (
        "# Written by hand: keep me\nproviders:\n  - name: ollama  # local models\n"
        "    models: [llama3, qwen2]\n    api_base: http://127.0.0.1:11434\n"
    )


def test_config_show_set_remove_export_import(cli_env: dict[str, str], tmp_path: Path) -> None:
    workspace = tmp_path / "project"
    workspace.mkdir()
    assert run(cli_env, "config", "set-provider", "openai", "--model", "gpt-4o", cwd=workspace).returncode == 0
    result = run(cli_env, "config", "set-provider", "openai", "--disable", "--scope", "workspace", cwd=workspace)
    assert result.stdout == f"openai: written to {workspace / '.openllm' / 'config.yaml'}\n"
    shown = json.loads(run(cli_env, "config", "show", "--json", cwd=workspace).stdout)
    validate("ConfigProvidersResult", shown)
    (openai,) = shown["providers"]
    assert (openai["enabled"], openai["models"], openai["source"]) == (False, ["gpt-4o"], "workspace")
    assert "disabled from workspace" in run(cli_env, "config", "show", cwd=workspace).stdout

    exported = run(cli_env, "config", "export", "--scope", "user", cwd=workspace)
    assert json.loads(exported.stdout) == {"providers": [{"name": "openai", "models": ["gpt-4o"]}]}
    (tmp_path / "export.json").write_text(exported.stdout)
    imported = run(cli_env, "config", "import", str(tmp_path / "export.json"), "--scope", "workspace", cwd=workspace)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith(f"imported 1 providers into {workspace / '.openllm' / 'config.yaml'} (the old")
    shown = json.loads(run(cli_env, "config", "show", "--json", cwd=workspace).stdout)
    assert shown["providers"][0].get("enabled", True) is True

    removed = run(cli_env, "config", "remove-provider", "openai", cwd=workspace)
    assert removed.stdout == "openai: removed from the user and workspace configuration\n"
    assert run(cli_env, "config", "remove-provider", "openai", cwd=workspace).returncode == 2


def test_import_and_export_of_a_file_that_cannot_be_read_or_written_are_usage_errors(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "latin1.json").write_bytes(b'{"providers": [{"name": "caf\xe9"}]}')
    failures = [
        (("config", "import", str(tmp_path / "missing.json")), "cannot read " + str(tmp_path / "missing.json")),
        (("config", "import", str(tmp_path / "latin1.json")), "it is not UTF-8 text"),
        (("config", "export", "-o", str(tmp_path / "no" / "such" / "dir.json")), "cannot write"),
    ]
    for args, message in failures:
        result = run(cli_env, *args)
        assert (result.returncode, "Traceback" in result.stderr) == (2, False), result.stderr
        assert message in result.stderr


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("providers:\n  - name: openai\n    models: [a\n", "line 4, column 1: invalid YAML: expected ',' or ']'"),
        ("providers:\n  - name: openai\n    enabled: true\n    enabled: false\n", 'found duplicate key "enabled"'),
        (None, "cannot read: [Errno 21] Is a directory"),
    ],
)
@pytest.mark.parametrize("args", [("config", "show"), ("chat", "--provider", "mock", "--model", "echo", "hi")])
def test_a_user_config_that_does_not_parse_is_a_clear_error(
    cli_env: dict[str, str], openllm_home: Path, text: str | None, shown: str, args: tuple[str, ...]
) -> None:
    """Every command reads the settings in the user's file first: not an AssertionError there."""
    path = openllm_home / "config.yaml"
    path.mkdir() if text is None else path.write_text(text)
    result = run(cli_env, *args)
    assert (result.returncode, "Traceback" in result.stderr) == (2, False), result.stderr
    assert f"{path}" in result.stderr and shown in result.stderr


def test_a_write_the_system_refuses_is_a_clear_error_and_the_file_is_kept(
    cli_env: dict[str, str], openllm_home: Path
) -> None:
    path = openllm_home / "config.yaml"
    path.write_text("providers:\n  - name: openai\n")
    (openllm_home / ".config.yaml.lock").mkdir()  # the lock cannot be opened (root passes any mode bits)
    result = run(cli_env, "config", "set-provider", "openai", "--disable")
    assert (result.returncode, "Traceback" in result.stderr) == (2, False), result.stderr
    assert f"{path}: cannot write: Is a directory" in result.stderr
    assert path.read_text() == "providers:\n  - name: openai\n"


def test_a_config_that_is_a_symlink_loop_is_a_clear_error(cli_env: dict[str, str], openllm_home: Path) -> None:
    (openllm_home / "config.yaml").symlink_to("config.yaml")
    for args in (("config", "show"), ("config", "set-provider", "openai", "--disable")):
        result = run(cli_env, *args)
        assert (result.returncode, "Traceback" in result.stderr) == (2, False), result.stderr
        assert "config.yaml: cannot read: Too many levels of symbolic links" in result.stderr


def test_a_broken_config_is_reported_with_file_and_line(cli_env: dict[str, str], openllm_home: Path) -> None:
    (openllm_home / "config.yaml").write_text("providers:\n  - name: openai\n    models: 4\n")
    result = run(cli_env, "chat", "--provider", "mock", "--model", "echo", "hi")
    assert result.returncode == 2
    assert f"{openllm_home / 'config.yaml'}, line 3: provider 'openai', field 'models'" in result.stderr
    doctor = run(cli_env, "doctor")
    assert doctor.returncode == 1 and "line 3" in doctor.stdout


def test_doctor_names_what_is_wrong(cli_env: dict[str, str], openllm_home: Path) -> None:
    (openllm_home / "config.yaml").write_text(
        "providers:\n  - name: openai\n  - name: azure\n    api_key_env: MY_AZURE_KEY\n"
    )
    result = run({**cli_env, "ANTHROPIC_API_KEY": "sk-ant-0123456789abcdefghij"}, "doctor", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    checks = {p["provider"]: p for p in report["providers"]}
    assert checks["openai"]["status"] == "problem"
    assert checks["openai"]["problems"] == ["no key: set OPENAI_API_KEY, or run `openllm-bridge secrets set openai`"]
    assert "api_key_env names MY_AZURE_KEY, which is not set in the environment" in checks["azure"]["problems"]
    assert any("no api_base" in p for p in checks["azure"]["problems"])
    assert checks["anthropic"]["status"] == "ok" and checks["anthropic"]["key"] == "env:ANTHROPIC_API_KEY (sk-…ghij)"
    assert checks["gemini"]["status"] == "not set up" and checks["mock"]["status"] == "ok"
    stores = {s["name"]: s for s in report["stores"]}
    assert stores["keychain"]["state"] == "unavailable" and stores["host"]["state"] == "not connected"
    assert stores["dotenv"]["state"] == "off"
    text = run(cli_env, "doctor").stdout
    assert "  openai      problem    key: none; configured in " in text


def test_doctor_notes_a_local_server_that_is_not_running(cli_env: dict[str, str], openllm_home: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listening, socket.create_server(("127.0.0.1", 0)) as closed:
        open_port, closed_port = listening.getsockname()[1], closed.getsockname()[1]
        closed.close()  # the port is free again: nothing listens there
        (openllm_home / "config.yaml").write_text(
            f"providers:\n  - name: ollama\n    api_base: http://127.0.0.1:{open_port}\n"
            f"  - name: openrouter\n    api_base: http://localhost:{closed_port}/api/v1\n"
        )
        result = run(cli_env, "doctor", "--json")
    checks = {p["provider"]: p for p in json.loads(result.stdout)["providers"]}
    assert not any("nothing listens" in n for n in checks["ollama"]["notes"]) and checks["ollama"]["status"] == "ok"
    assert (
        f"nothing listens at http://localhost:{closed_port}/api/v1: start the openrouter server to use it"
        in (checks["openrouter"]["notes"])
    )
    assert not any("nothing listens" in n for n in checks["openai"]["notes"])  # not on this machine: not tried


@pytest.mark.parametrize("args", [["secrets", "where"], ["config", "show"], ["doctor"]])
def test_every_new_command_has_help(cli_env: dict[str, str], args: list[str]) -> None:
    assert run(cli_env, *args, "--help").returncode == 0


def test_doctor_says_what_an_untrusted_workspace_set_that_is_left_out(
    cli_env: dict[str, str], tmp_path: Path, openllm_home: Path
) -> None:
    workspace = tmp_path / "cloned"
    (workspace / ".openllm").mkdir(parents=True)
    (workspace / ".openllm" / "config.yaml").write_text(
        "providers:\n  - name: ollama\n    api_base: http://10.0.0.1:1\n"
    )
    report = json.loads(run(cli_env, "doctor", "--json", cwd=workspace).stdout)
    (ollama,) = [p for p in report["providers"] if p["provider"] == "ollama"]
    assert f"the workspace's api_base left out: the workspace {workspace} is not trusted" in " ".join(ollama["notes"])
    (openllm_home / "config.yaml").write_text(f"settings:\n  trustedWorkspaces: [{workspace}]\n")
    report = json.loads(run(cli_env, "doctor", "--json", cwd=workspace).stdout)
    (ollama,) = [p for p in report["providers"] if p["provider"] == "ollama"]
    assert not any("left out" in note for note in ollama["notes"])
