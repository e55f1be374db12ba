"""FileConfigProvider: the seed's YAML format, writes that keep what the user wrote, errors that
name file, line and field, refusal of literal keys, export/import, and writes that are atomic and
locked across real processes (concurrent writers; ``kill -9`` in the middle of a write)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from bridge.config import FileConfigProvider
from bridge.config.yamlfile import YamlFile
from bridge.errors import InvalidConfigError
from protocol import ProviderConfig

pytestmark = pytest.mark.anyio

HAND_WRITTEN = """\
# My providers. Keep this comment.
providers:
  - name: openai        # the work account
    enabled: true
    apiBase: https://api.openai.com/v1
    models:
      - gpt-4o
    team: platform      # a field the bridge does not know
  - name: azure
    api_base: https://example.openai.azure.com
    api_version: "2024-10-21"
    deployment: gpt-4o
    api_key_env: MY_AZURE_KEY
settings:
  secrets:
    checkDotEnv: false
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(HAND_WRITTEN)
    return path


async def test_reads_the_seeds_format_with_aliases_and_extra_fields(config_file: Path) -> None:
    providers = await FileConfigProvider(config_file, "user").get_providers()
    assert providers[0] == {
        "name": "openai",
        "enabled": True,
        "api_base": "https://api.openai.com/v1",
        "models": ["gpt-4o"],
        "team": "platform",
        "source": "user",
        "source_detail": str(config_file),
    }
    assert providers[1]["api_version"] == "2024-10-21" and providers[1]["api_key_env"] == "MY_AZURE_KEY"


async def test_an_update_keeps_comments_order_spelling_and_unknown_fields(config_file: Path) -> None:
    file = FileConfigProvider(config_file)
    await file.update_provider("openai", {"name": "openai", "api_base": "https://proxy.example/v1", "models": ["o3"]})
    await file.add_provider({"name": "ollama", "api_base": "http://localhost:11434", "models": ["llama3"]})
    text = await anyio.Path(config_file).read_text()
    assert text.startswith("# My providers. Keep this comment.\n")
    assert "  - name: openai        # the work account\n" in text
    assert "    apiBase: https://proxy.example/v1\n" in text and "api_base: https://proxy" not in text
    assert "    team: platform      # a field the bridge does not know\n" in text
    assert 'api_version: "2024-10-21"' in text and "settings:\n  secrets:\n    checkDotEnv: false\n" in text
    assert text.index("name: openai") < text.index("name: azure") < text.index("name: ollama")
    assert "  - name: ollama\n    api_base: http://localhost:11434\n    models:\n      - llama3\nsettings:\n" in text


async def test_remove_and_a_missing_file(tmp_path: Path, config_file: Path) -> None:
    file = FileConfigProvider(config_file)
    assert await file.remove_provider("azure") is True
    assert await file.remove_provider("azure") is False
    assert [p["name"] for p in await file.get_providers()] == ["openai"]
    missing = FileConfigProvider(tmp_path / "nowhere" / "config.yaml")
    assert await missing.get_providers() == []
    assert await missing.remove_provider("openai") is False and not missing.path.exists()
    await missing.add_provider({"name": "mock"})
    assert missing.path.read_text() == "providers:\n  - name: mock\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("providers:\n  - name: openai\n    models: [gpt-4o\n", r"config.yaml, line 4, column 1: invalid YAML"),
        (
            "providers:\n  - name: openai\n    enabled: yes\n",
            r"config.yaml, line 3: provider 'openai', field 'enabled'",
        ),
        (
            "providers:\n  - name: openai\n    models: gpt-4o\n",
            r"line 3: provider 'openai', field 'models' must be a list",
        ),
        ("providers:\n  - name: a\n  - name: OpenAI\n", r"line 3: field 'name' must be a provider id"),
        ("providers:\n  - name: a\n  - name: a\n", r"line 3: provider 'a' is listed twice"),
        ("providers:\n  name: a\n", r"line 1: 'providers' must be a list"),
        (
            "providers:\n  - name: a\n    api_base: localhost:1234\n",
            r"line 3: provider 'a', field 'api_base' must be an http",
        ),
    ],
)
async def test_bad_files_are_errors_naming_file_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    file = FileConfigProvider(path)
    with pytest.raises(InvalidConfigError, match=message):
        await file.get_providers()
    with pytest.raises(InvalidConfigError, match=message):
        await file.add_provider({"name": "mock"})
    assert path.read_text() == text  # left untouched


async def test_a_bad_write_leaves_the_file_untouched(config_file: Path) -> None:
    file = FileConfigProvider(config_file)
    with pytest.raises(InvalidConfigError, match=r"field 'models' must be a list"):
        await file.update_provider("openai", {"name": "openai", "models": "gpt-4o"})  # type: ignore[typeddict-item]
    with pytest.raises(InvalidConfigError, match="already configured"):
        await file.add_provider({"name": "openai"})
    assert await anyio.Path(config_file).read_text() == HAND_WRITTEN


LITERAL_KEY = "sk-proj-literal0123456789abcdefXYZ"
AZURE_KEY = "d912cda8fc10a6bf8186db4554ac937b"  # 32 hex digits: no prefix to know it by


@pytest.mark.parametrize(
    "entry",
    [
        f"    api_key: {LITERAL_KEY}\n",
        "    apiKey: hunter2-not-key-shaped\n",
        f"    headers:\n      auth: Bearer {LITERAL_KEY}\n",
        f"    azure_api_key: {AZURE_KEY}\n",  # no shape of its own: the name says what it is
        f"    headers:\n      api-key: {AZURE_KEY}\n",
        f"    headers:\n      Authorization: {AZURE_KEY}\n",
    ],
)
async def test_a_literal_key_in_a_file_is_refused_with_how_to_store_it(tmp_path: Path, entry: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("providers:\n  - name: openai\n" + entry)
    with pytest.raises(InvalidConfigError) as info:
        await FileConfigProvider(path).get_providers()
    message = info.value.message
    assert f"{path}, line 3: provider 'openai'" in message and "holds an API key" in message
    assert "openllm-bridge secrets set openai" in message and "api_key_env: VARIABLE_NAME" in message
    assert LITERAL_KEY not in message and "hunter2" not in message and AZURE_KEY not in message


async def test_a_key_given_twice_is_not_quoted_by_the_yaml_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"providers:\n  - name: azure\n    api_key: {AZURE_KEY}\n    api_key: {AZURE_KEY[::-1]}\n")
    with pytest.raises(InvalidConfigError, match=r'line 4, column 5: invalid YAML: found duplicate key "api_key"$'):
        await FileConfigProvider(path).get_providers()


async def test_a_literal_key_is_never_written(config_file: Path) -> None:
    with pytest.raises(InvalidConfigError, match="holds an API key"):
        await FileConfigProvider(config_file).update_provider("openai", {"name": "openai", "key": LITERAL_KEY})  # type: ignore[typeddict-item]
    assert await anyio.Path(config_file).read_text() == HAND_WRITTEN


async def test_export_and_import_with_a_backup(tmp_path: Path, config_file: Path) -> None:
    exported = json.loads(await FileConfigProvider(config_file).export_json())
    assert [p["name"] for p in exported["providers"]] == ["openai", "azure"]
    target = FileConfigProvider(tmp_path / "ws" / "config.yaml")
    await target.add_provider({"name": "mistral"})
    before = target.path.read_text()
    backup = await target.import_json(json.dumps(exported))
    assert backup is not None and backup.read_text() == before
    assert [p["name"] for p in await target.get_providers()] == ["openai", "azure"]
    assert "apiBase" not in target.path.read_text()  # written in our spelling
    with pytest.raises(InvalidConfigError, match="holds an API key"):
        await target.import_json(json.dumps({"providers": [{"name": "openai", "api_key": LITERAL_KEY}]}))


CONCURRENT_WRITER = """
import sys, anyio
from pathlib import Path
from bridge.config import FileConfigProvider

async def main() -> None:
    file = FileConfigProvider(Path(sys.argv[1]))
    sys.stdin.readline()  # start together
    for i in range(int(sys.argv[3])):
        await file.add_provider({"name": f"{sys.argv[2]}-{i}", "models": [f"model-{i}"]})

anyio.run(main)
"""


def test_two_processes_adding_providers_at_once_both_land(config_file: Path, cli_env: dict[str, str]) -> None:
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_WRITER, str(config_file), prefix, "20"],
            stdin=subprocess.PIPE,
            env=cli_env,
            text=True,
        )
        for prefix in ("left", "right")
    ]
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.close()
    for writer in writers:
        assert writer.wait(timeout=60) == 0
    names = [p["name"] for p in YamlFile(config_file).load().document["providers"]]
    assert sorted(names) == sorted(["openai", "azure"] + [f"{s}-{i}" for s in ("left", "right") for i in range(20)])
    assert config_file.read_text().startswith("# My providers. Keep this comment.\n")


ENDLESS_WRITER = """
import sys, anyio
from pathlib import Path
from bridge.config import FileConfigProvider

async def main() -> None:
    file = FileConfigProvider(Path(sys.argv[1]))
    round = 0
    while True:
        round += 1
        await file.set_provider({"name": "big", "notes": f"{round}-" + "x" * 200_000})
        print(round, flush=True)

anyio.run(main)
"""


def test_kill_9_mid_write_leaves_the_old_or_the_new_file(tmp_path: Path, cli_env: dict[str, str]) -> None:
    folder = tmp_path / "cfg"
    folder.mkdir()
    path = folder / "config.yaml"
    path.write_text("# hand-written\nproviders:\n  - name: big\n  - name: tail\n    models: [end]\n")
    torn_writes = attempts = 0
    while torn_writes < 2:  # the kill must land inside a write; under load it may land just after one
        attempts += 1
        assert attempts <= 10, "no kill landed inside a write in 10 attempts"
        with subprocess.Popen(
            [sys.executable, "-c", ENDLESS_WRITER, str(path)], stdout=subprocess.PIPE, env=cli_env, text=True
        ) as writer:
            assert writer.stdout is not None and writer.stdout.readline()  # it has written at least once
            reads = 0
            while not any(name.endswith(".tmp") for name in os.listdir(folder)):  # polls the writer, bounded below
                text = path.read_text()
                reads += 1
                assert text.startswith("# hand-written\n") and text.rstrip().endswith("models: [end]"), "torn read"
                assert reads < 1_000_000, "the writer never started a write"
            os.kill(writer.pid, signal.SIGKILL)  # between creating its temp file and renaming it, most times
            writer.wait(timeout=10)
        assert reads > 0
        torn_writes += any(name.endswith(".tmp") for name in os.listdir(folder))  # it died mid-write
        document = YamlFile(path).load().document
        assert [p["name"] for p in document["providers"]] == ["big", "tail"]
        assert str(document["providers"][0]["notes"]).endswith("x" * 200_000)
    # the lock died with the writer, and the next write clears what it left behind
    remove = (
        "import anyio, sys; from pathlib import Path; from bridge.config import FileConfigProvider;"
        "anyio.run(FileConfigProvider(Path(sys.argv[1])).remove_provider, 'tail')"
    )
    subprocess.run([sys.executable, "-c", remove, str(path)], env=cli_env, timeout=30, check=True)
    assert not [name for name in os.listdir(folder) if name.endswith(".tmp")]


async def test_a_file_of_only_comments_keeps_them_on_the_first_write(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("# my notes\n\n# providers: (to fill in)\n")
    await FileConfigProvider(path).add_provider({"name": "mock"})
    assert path.read_text() == "# my notes\n\n# providers: (to fill in)\nproviders:\n  - name: mock\n"


@pytest.mark.parametrize(
    ("removed", "expected"),
    [
        (
            "azure",
            "providers:\n  - name: openai\n    models: [gpt-4o]  # the work account\n  # azure is below\n"
            "  # ollama is below\n  - name: ollama\n",  # nothing is lost, not even the comment over azure
        ),
        (
            "openai",
            "providers:\n  # azure is below\n  - name: azure\n    enabled: true\n"
            "  # ollama is below\n  - name: ollama\n",
        ),
    ],
)
async def test_removing_an_entry_keeps_the_comment_over_the_next_one(
    tmp_path: Path, removed: str, expected: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "providers:\n  - name: openai\n    models: [gpt-4o]  # the work account\n  # azure is below\n"
        "  - name: azure\n    enabled: true\n  # ollama is below\n  - name: ollama\n"
    )
    assert await FileConfigProvider(path).remove_provider(removed) is True
    assert path.read_text() == expected


async def test_removing_the_last_entry_keeps_the_comment_over_the_next_section(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("providers:\n  - name: openai\n    enabled: true\n# the settings\nsettings:\n  a: 1\n")
    assert await FileConfigProvider(path).remove_provider("openai") is True
    assert path.read_text() == "providers: []\n# the settings\nsettings:\n  a: 1\n"


async def test_a_symlinked_config_stays_a_link_and_its_target_is_written(tmp_path: Path) -> None:
    (tmp_path / "dotfiles").mkdir()
    target = tmp_path / "dotfiles" / "config.yaml"
    target.write_text(HAND_WRITTEN)
    link = tmp_path / "home" / "config.yaml"
    link.parent.mkdir()
    link.symlink_to(target)
    await FileConfigProvider(link).set_provider({"name": "ollama"})
    assert link.is_symlink() and link.resolve() == target
    assert target.read_text() == HAND_WRITTEN.replace("settings:", "  - name: ollama\nsettings:")
    assert (tmp_path / "dotfiles" / ".config.yaml.lock").exists()  # one lock, whichever path is used
    assert not (tmp_path / "home" / ".config.yaml.lock").exists()


@pytest.mark.parametrize(
    "text",
    [
        "---\n# explicit start\nproviders:\n  - name: openai\n    enabled: false\n",
        "providers:\n  - name: openai\n    enabled: false\nsettings:\n    secrets:      # four spaces\n"
        "        checkDotEnv: false\n",
        "# windows\r\nproviders:\r\n  - name: openai  # the work account\r\n    enabled: false\r\n",
        "# a header above the start\n\n---\nproviders:\n  - name: openai\n    enabled: false\n",
        "\ufeff---\nproviders:\n  - name: openai\n    enabled: false\n",
        "# c\n%YAML 1.2\n--- # my config\n# above\nproviders:\n  - name: openai\n    enabled: false\n",
        "providers:\n  - name: openai\n    enabled: false\n...\n# after the end\n",
        "# top\n--- {providers: [{name: openai, enabled: false}]}\n",
        "%YAML 1.1\n--- {providers: [{name: openai, enabled: false}]}\n",
        "--- # note\n\n# below\n\nproviders:\n  - name: openai\n    enabled: false\n",
        "# my config:\n%TAG !e! tag:example.com,2000:\n---\nproviders:\n  - name: openai\n    enabled: false\n",
        "providers:\n  - notes: |\n        hello\n    name: openai\n    extra:\n        x: 1\n    enabled: false\n",
    ],
    ids=[
        "explicit-start",
        "mapping-indent-4",
        "crlf",
        "comments-above-start",
        "bom",
        "directive-and-commented-start",
        "document-end",
        "start-with-content",
        "directive-and-start-with-content",
        "blank-lines-after-a-commented-start",
        "tag-directive",
        "block-scalar-in-an-item",
    ],
)
async def test_the_layout_the_user_chose_is_kept(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(text.encode())
    await FileConfigProvider(path).update_provider("openai", {"name": "openai", "enabled": True})
    assert path.read_bytes().decode() == text.replace("enabled: false", "enabled: true")


@pytest.mark.parametrize("start", ["---", "# c\n---"])
async def test_a_start_without_a_line_break_is_followed_by_the_document(tmp_path: Path, start: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(start)
    await FileConfigProvider(path).add_provider({"name": "mock"})
    assert path.read_text() == start + "\nproviders:\n  - name: mock\n"


async def test_a_yaml_1_1_file_gets_values_quoted_as_1_1_reads_them(tmp_path: Path) -> None:
    """``no`` is false in YAML 1.1: a string written there is quoted, or it would read back changed."""
    path = tmp_path / "config.yaml"
    path.write_text("%YAML 1.1\n---\nproviders:\n  - name: azure\n    deployment: d1\n")
    await FileConfigProvider(path).update_provider("azure", {"name": "azure", "deployment": "no", "region": "1:30"})
    assert path.read_text() == "%YAML 1.1\n---\nproviders:\n  - name: azure\n    deployment: 'no'\n    region: '1:30'\n"
    assert (await FileConfigProvider(path).get_providers())[0]["deployment"] == "no"


async def test_a_mixed_layout_is_written_the_way_most_of_it_is(tmp_path: Path) -> None:
    """ruamel writes one line break and one mapping indent: those of most lines, not the first's."""
    path = tmp_path / "config.yaml"
    path.write_bytes(
        b"# written on unix, then edited on windows\nproviders:\r\n  - name: openai\r\n    headers:\r\n"
        b"      X-A: b\r\nsettings:\r\n    secrets:\r\n        checkDotEnv: false\r\n"
    )
    await FileConfigProvider(path).update_provider("openai", {"name": "openai", "enabled": True})
    assert path.read_bytes() == (
        b"# written on unix, then edited on windows\r\nproviders:\r\n  - name: openai\r\n    headers:\r\n"
        b"        X-A: b\r\n    enabled: true\r\nsettings:\r\n    secrets:\r\n        checkDotEnv: false\r\n"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (  # a field added to an entry goes above the comment that heads the next one
            {"name": "openai", "models": ["gpt-4o"]},
            "providers:\n  - name: openai\n    enabled: true\n    models:\n      - gpt-4o\n  # the work account\n"
            "  - name: azure\n    headers:\n      X-A: b\n# my settings\nsettings:\n  a: 1\n",
        ),
        (  # ... below a nested mapping too, and a new entry goes above the comment over the next section
            {"name": "azure", "enabled": False},
            "providers:\n  - name: openai\n    enabled: true\n  # the work account\n  - name: azure\n    headers:\n"
            "      X-A: b\n    enabled: false\n# my settings\nsettings:\n  a: 1\n",
        ),
        (
            {"name": "mock"},
            "providers:\n  - name: openai\n    enabled: true\n  # the work account\n  - name: azure\n    headers:\n"
            "      X-A: b\n  - name: mock\n# my settings\nsettings:\n  a: 1\n",
        ),
    ],
    ids=["field", "field-after-a-mapping", "entry"],
)
async def test_what_is_added_goes_above_the_comment_over_what_follows(
    tmp_path: Path, change: ProviderConfig, expected: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "providers:\n  - name: openai\n    enabled: true\n  # the work account\n  - name: azure\n    headers:\n"
        "      X-A: b\n# my settings\nsettings:\n  a: 1\n"
    )
    await FileConfigProvider(path).set_provider(change)
    assert path.read_text() == expected


async def test_a_new_providers_section_goes_above_the_comments_that_end_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("settings:\n  a: 1\n# the end\n")
    await FileConfigProvider(path).add_provider({"name": "mock"})
    assert path.read_text() == "settings:\n  a: 1\nproviders:\n  - name: mock\n# the end\n"


async def test_an_import_keeps_the_comment_over_the_next_section(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("providers:\n  - name: openai\n# my settings\nsettings:\n  a: 1\n")
    await FileConfigProvider(path).replace_providers([{"name": "mock"}])
    assert path.read_text() == "providers:\n  - name: mock\n# my settings\nsettings:\n  a: 1\n"


@pytest.mark.parametrize(
    "text",
    [
        "x-models: &m [gpt-4o]\nproviders:\n  - name: openai\n    models: *m\n  - name: openrouter\n    models: *m\n",
        "defaults: &defaults\n  models: [gpt-4o]\nproviders:\n  - name: openai\n    <<: *defaults\n"
        "  - name: openrouter\n    <<: *defaults\n",
    ],
)
async def test_an_update_leaves_what_an_anchor_shares_alone(tmp_path: Path, text: str) -> None:
    """Changing one provider's models gives it its own list; the others keep the shared one."""
    path = tmp_path / "config.yaml"
    path.write_text(text)
    await FileConfigProvider(path).update_provider("openai", {"name": "openai", "models": ["gpt-4o-mini"]})
    models = {p["name"]: p.get("models") for p in await FileConfigProvider(path).get_providers()}
    assert models == {"openai": ["gpt-4o-mini"], "openrouter": ["gpt-4o"]}
    assert path.read_text().startswith(text.split("providers:")[0])  # the anchored block as written


async def test_a_long_line_elsewhere_is_not_rewrapped(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    long = "x" * 5000
    path.write_text(f"providers:\n  - name: openai\n  - name: mock\n    note: {long}\n")
    await FileConfigProvider(path).update_provider("openai", {"name": "openai", "enabled": False})
    assert f"    note: {long}\n" in path.read_text()


async def test_a_null_field_is_removed_not_written_empty(tmp_path: Path) -> None:
    """A base URL cleared in a form comes as null: the field goes, the rest stays."""
    path = tmp_path / "config.yaml"
    path.write_text("providers:\n  - name: openai\n    api_base: https://old.example/v1\n    enabled: true  # on\n")
    await FileConfigProvider(path).set_provider({"name": "openai", "api_base": None})
    await FileConfigProvider(path).set_provider({"name": "mistral", "api_base": None, "enabled": False})
    assert path.read_text() == (
        "providers:\n  - name: openai\n    enabled: true  # on\n  - name: mistral\n    enabled: false\n"
    )
