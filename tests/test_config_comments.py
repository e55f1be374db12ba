"""Every comment a person wrote in a config file survives the bridge's writes, in the place it
heads: a property over generated hand-written files (comments above, beside and below entries,
fields, block and flow lists, mappings and block scalars) and the cases it found, pinned."""

from __future__ import annotations

import itertools
import re
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from bridge.config import FileConfigProvider
from bridge.config.yamlcomments import comments_in
from bridge.errors import InvalidConfigError
from protocol import ProviderConfig

pytestmark = pytest.mark.anyio

LABEL = re.compile(r"#\s*(c\d+)")
NAMES = ["openai", "anthropic", "mistral", "ollama", "gemini"]
FIELDS = ["enabled", "models", "flow-models", "headers", "flow-headers", "system", "deployment"]


def comment_lines(draw: st.DrawFn, labels: Iterator[int], indent: int) -> list[str]:
    """Up to two own-line comments, each maybe after a blank line, at the indent of what follows,
    at the left margin or deeper."""
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 2))):
        if draw(st.booleans()):
            lines.append("")
        lines.append(" " * draw(st.sampled_from([indent, 0, indent + 2])) + f"# c{next(labels)}")
    return lines


def beside(draw: st.DrawFn, labels: Iterator[int]) -> str:
    return f"  # c{next(labels)}" if draw(st.booleans()) else ""


def field_lines(draw: st.DrawFn, labels: Iterator[int], field: str) -> list[str]:
    if field == "enabled":
        return ["    enabled: true" + beside(draw, labels)]
    if field == "deployment":
        return ["    deployment: d1" + beside(draw, labels)]
    if field == "flow-models":
        return ["    models: [a, b]" + beside(draw, labels)]
    if field == "flow-headers":
        return ["    headers: {X-A: b}" + beside(draw, labels)]
    if field == "system":
        return ["    system: |", "      hello", "      there"]
    key, first, second = ("models", "- a", "- b") if field == "models" else ("headers", "X-A: b", "X-B: c")
    return [
        f"    {key}:" + beside(draw, labels),
        f"      {first}" + beside(draw, labels),
        *comment_lines(draw, labels, 6),
        f"      {second}" + beside(draw, labels),
    ]


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[str], dict[str, set[str]]]:
    """A config file, the names of its providers, and the labels of the comments inside each
    entry, in its block models list (``"<name> models"``: about the items an emptying removes)
    and outside the providers list (``""``: those a replacement of it keeps)."""
    labels = itertools.count()
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, min_size=1, max_size=4))
    lines = comment_lines(draw, labels, 0)
    lines += draw(st.sampled_from([[], ["---"], ["%YAML 1.2", "---"], [f"--- # c{next(labels)}"]]))
    lines += comment_lines(draw, labels, 0)
    inside = {"": set(LABEL.findall("\n".join(lines)))}
    lines.append("providers:" + beside(draw, labels))
    for name in names:
        lines += comment_lines(draw, labels, 2)
        entry = ["  - name: " + name + beside(draw, labels)]
        inside[f"{name} models"] = set()
        for field in draw(st.lists(st.sampled_from(FIELDS), unique_by=lambda f: f.split("-")[-1], max_size=4)):
            lines_of_field = field_lines(draw, labels, field)
            entry += comment_lines(draw, labels, 4) + lines_of_field
            if field == "models":
                inside[f"{name} models"] = set(LABEL.findall("\n".join(lines_of_field[1:])))
        inside[name] = set(LABEL.findall("\n".join(entry)))
        lines += entry
    tail = comment_lines(draw, labels, 0)
    if draw(st.booleans()):
        tail += ["settings:", "  secrets:", "    checkDotEnv: false" + beside(draw, labels)]
        tail += comment_lines(draw, labels, 0)
    if draw(st.booleans()):
        tail += ["...", *comment_lines(draw, labels, 0)]
    inside[""] |= {label for line in tail if not line.startswith("  ") for label in LABEL.findall(line)}
    return "\n".join([*lines, *tail]) + "\n", names, inside


CHANGES: dict[str, Callable[[FileConfigProvider, str], Awaitable[object]]] = {
    "new-field": lambda config, name: config.set_provider({"name": name, "api_version": "2024-10-21"}),
    "models": lambda config, name: config.set_provider({"name": name, "models": ["a", "b", "z"]}),
    "reordered-models": lambda config, name: config.set_provider({"name": name, "models": ["b", "a"]}),
    "no-models": lambda config, name: config.set_provider({"name": name, "models": []}),
    "update": lambda config, name: config.update_provider(name, {"name": name, "enabled": False}),
    "add": lambda config, name: config.add_provider({"name": "openrouter", "enabled": True}),
    "remove": lambda config, name: config.remove_provider(name),
    "replace": lambda config, name: config.replace_providers([{"name": "mock"}]),
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.sampled_from(sorted(CHANGES)), st.data())
def test_every_write_keeps_every_comment_it_does_not_remove(
    document: tuple[str, list[str], dict[str, set[str]]], change: str, data: st.DataObject
) -> None:
    text, names, inside = document
    name = data.draw(st.sampled_from(names))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_text(text)
        anyio.run(CHANGES[change], FileConfigProvider(path), name)
        written = path.read_text()
    before, after = Counter(LABEL.findall(text)), Counter(LABEL.findall(written))
    if change in ("remove", "no-models"):  # the comments of what is removed go with it
        gone = inside[name] if change == "remove" else inside[f"{name} models"]
        before = Counter({label: n for label, n in before.items() if label not in gone})
    elif change == "replace":  # the list's comments go with it, the rest stay
        before = Counter({label: n for label, n in before.items() if label in inside[""]})
        after = Counter({label: n for label, n in after.items() if label in inside[""]})
    assert after == before, f"lost {before - after}, doubled {after - before}:\n{text}\n--- became\n{written}"
    assert YAML().load(written) is not None  # still YAML (a comment below a bare "key:" would not be)


@pytest.mark.parametrize(
    ("text", "change", "expected"),
    [
        (  # the values that stay keep their comments
            "providers:\n  - name: openai\n    models:\n      - a  # first\n      - b  # second\n",
            {"name": "openai", "models": ["b", "z"]},
            "providers:\n  - name: openai\n    models:\n      - b  # second\n      - z\n",
        ),
        (  # an emptied list: the comment below it still heads the next field
            "providers:\n  - name: openai\n    models:\n      - a\n    # below models\n    enabled: true\n",
            {"name": "openai", "models": []},
            "providers:\n  - name: openai\n    models: []\n    # below models\n    enabled: true\n",
        ),
        (  # reordered: the comment over a value stays over it
            "providers:\n  - name: openai\n    models:\n      - m1  # first\n      # over m2\n      - m2  # second\n",
            {"name": "openai", "models": ["m2", "m1"]},
            "providers:\n  - name: openai\n    models:\n      # over m2\n      - m2  # second\n      - m1  # first\n",
        ),
    ],
    ids=["survivors", "emptied", "reordered"],
)
async def test_a_list_set_anew_keeps_the_comments_of_what_stays(
    tmp_path: Path, text: str, change: ProviderConfig, expected: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    await FileConfigProvider(path).set_provider(change)
    assert path.read_text() == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("providers:  # mine\n  - name: openai\nsettings:\n  a: 1\n", "providers: [] # mine\nsettings:\n  a: 1\n"),
        ("providers:\n  # my only one\n  - name: openai\n", "providers: []\n  # my only one\n"),
        ("providers:\n  - name: openai\n    models: [a, b]  # flow\n# end\n", "providers: []\n# end\n"),
    ],
    ids=["beside-the-key", "above-the-entry", "after-a-flow-list"],
)
async def test_removing_the_only_provider_leaves_valid_yaml_with_the_comments(
    tmp_path: Path, text: str, expected: str
) -> None:
    """ruamel would write these comments above the ``[]`` of the emptied list, which is not YAML."""
    path = tmp_path / "config.yaml"
    path.write_text(text)
    await FileConfigProvider(path).remove_provider("openai")
    assert path.read_text() == expected
    assert await FileConfigProvider(path).get_providers() == []


async def test_the_lines_of_a_block_scalar_do_not_set_the_mapping_indent(tmp_path: Path) -> None:
    """Text indented deeper under ``system: |`` is not a mapping: the file's indent of 2 stays
    (ruamel writes a block scalar's lines at that indent too)."""
    path = tmp_path / "config.yaml"
    path.write_text(
        "providers:\n  - name: openai\n    system: |\n        indented text\n        more\n    headers:\n      X-A: b\n"
    )
    await FileConfigProvider(path).set_provider({"name": "openai", "enabled": True})
    assert path.read_text() == (
        "providers:\n  - name: openai\n    system: |\n      indented text\n      more\n    headers:\n      X-A: b\n"
        "    enabled: true\n"
    )


async def test_removing_the_first_entry_keeps_its_comment_over_the_next_with_a_flow_list_last(tmp_path: Path) -> None:
    """Found by the property: a flow list ending the providers list gives the key comments of its
    own, and ruamel then writes those only, not the ones moved over the new first entry."""
    path = tmp_path / "config.yaml"
    path.write_text("providers:\n  - name: openai\n  # c1\n  - name: anthropic\n    models: [a, b]\n# c2\n")
    await FileConfigProvider(path).remove_provider("openai")
    assert path.read_text() == "providers:\n  # c1\n  - name: anthropic\n    models: [a, b]\n# c2\n"


@pytest.mark.parametrize(
    "collection",
    [
        "models: [\n      gpt-4o,  # the main one\n      gpt-4o-mini\n    ]",  # ruamel writes [gpt-4o, gpt-4o-mini]
        "models: [\n      # the main one\n      gpt-4o,\n    ]",
        "headers: {\n      X-A: b,  # the main one\n      X-C: d\n    }",  # ruamel does not even read this one
    ],
)
async def test_a_write_that_would_drop_a_comment_in_a_flow_collection_is_refused(
    tmp_path: Path, collection: str
) -> None:
    path = tmp_path / "config.yaml"
    text = f"# mine\nproviders:\n  - name: openai\n    {collection}\n  - name: mistral\n"
    path.write_text(text)
    with pytest.raises(InvalidConfigError) as refused:
        await FileConfigProvider(path).set_provider({"name": "mistral", "enabled": False})
    assert "not changed, to keep your comments: the comment on line 5 ('# the main one')" in refused.value.message
    assert path.read_text() == text  # nothing written
    path.write_text(text.replace("  # the main one", "").replace("# the main one\n", ""))
    await FileConfigProvider(path).set_provider({"name": "mistral", "enabled": False})  # no comment there: written
    assert "enabled: false" in path.read_text()
    assert path.read_text().startswith("# mine\n")


async def test_a_file_with_a_byte_order_mark_and_crlf_is_written_with_its_comments(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"\xef\xbb\xbf# mine\r\nproviders:\r\n  - name: openai  # x\r\n    models: [a, b]  # y\r\n")
    await FileConfigProvider(path).set_provider({"name": "mistral", "enabled": False})
    assert path.read_bytes() == (
        b"\xef\xbb\xbf# mine\r\nproviders:\r\n  - name: openai  # x\r\n    models: [a, b]  # y\r\n"
        b"  - name: mistral\r\n    enabled: false\r\n"
    )


def test_comments_are_found_outside_scalars_only() -> None:
    text = "a: \"x #y\"  # c # d\nb: [1,  # e\n  2]\nc: |\n  text # f\n  # g\nh: x#y\n# i\nj: '#k'\n"
    assert comments_in(text) == [(1, "# c # d"), (2, "# e"), (8, "# i")]
