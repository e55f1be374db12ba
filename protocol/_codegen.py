"""Generate Python TypedDicts from the JSON Schema files in ``schemas/``.

The schema files are the one source of truth for every message shape. This module turns each
file's ``$defs`` into a module of ``protocol/_generated/``; ``--check`` fails when the checked-in
modules differ from what the schemas give (CI and ``tests/test_schemas.py`` run it).

    python -m protocol._codegen          # rewrite protocol/_generated/
    python -m protocol._codegen --check  # exit 1 on drift
"""

from __future__ import annotations

import hashlib
import json
import keyword
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "schemas"
OUT_DIR = Path(__file__).resolve().parent / "_generated"


def module_name(schema_file: str) -> str:
    """``api-chat.schema.json`` -> ``api_chat``."""
    return schema_file.removesuffix(".schema.json").replace("-", "_")


def _literal(value: Any) -> str:
    """A JSON constant as Python source: strings as JSON writes them, ``true`` as ``True``."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


class _Module:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        self.schema: dict[str, Any] = json.loads(self.text)
        self.name = module_name(path.name)
        self.imports: dict[str, set[str]] = {}
        self.typing: set[str] = set()

    def ref(self, ref: str) -> str:
        target, _, pointer = ref.partition("#/$defs/")
        if target:
            other = module_name(target)
            if other != self.name:
                self.imports.setdefault(other, set()).add(pointer)
        return pointer

    def annotation(self, node: dict[str, Any] | bool) -> str:
        if node is True or node == {}:
            self.typing.add("Any")
            return "Any"
        assert isinstance(node, dict)
        if "$ref" in node:
            return self.ref(node["$ref"])
        if "const" in node:
            self.typing.add("Literal")
            return f"Literal[{_literal(node['const'])}]"
        if "enum" in node:
            self.typing.add("Literal")
            return "Literal[" + ", ".join(_literal(v) for v in node["enum"]) + "]"
        for combinator in ("oneOf", "anyOf"):
            if combinator in node:
                return " | ".join(self.annotation(sub) for sub in node[combinator])
        kinds = node.get("type")
        if isinstance(kinds, list):
            return " | ".join(self.annotation({**node, "type": kind}) for kind in kinds)
        if kinds == "array":
            return f"list[{self.annotation(node.get('items', True))}]"
        if kinds == "object":
            self.typing.add("Any")
            return "dict[str, Any]"
        scalars = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
        return scalars[str(kinds)]

    def definition(self, name: str, node: dict[str, Any]) -> str:
        doc = node.get("description")
        props = node.get("properties")
        if node.get("type") == "object" and props is not None:
            self.typing.add("TypedDict")
            required = set(node.get("required", []))
            lines = [f"class {name}(TypedDict):"]
            if doc:
                lines.append(f'    """{doc}"""')
                lines.append("")
            if not props:
                lines.append("    pass")
            for prop, sub in props.items():
                attr = prop + "_" if keyword.iskeyword(prop) else prop
                ann = self.annotation(sub)
                if prop not in required:
                    self.typing.add("NotRequired")
                    ann = f"NotRequired[{ann}]"
                lines.append(f"    {attr}: {ann}")
            return "\n".join(lines)
        alias = f"{name} = {self.annotation(node)}"
        return alias + (f'\n"""{doc}"""' if doc else "")

    def render(self) -> str:
        defs = self.schema.get("$defs", {})
        bodies = [self.definition(name, node) for name, node in defs.items()]
        digest = hashlib.sha256(self.text.encode()).hexdigest()
        head = [
            f'"""Generated from schemas/{self.path.name} (sha256 {digest}); do not edit.',
            "",
            "Regenerate with: python -m protocol._codegen",
            '"""',
            "",
            "from __future__ import annotations",
            "",
        ]
        if self.typing:
            head.append(f"from typing import {', '.join(sorted(self.typing))}")
        for other, names in sorted(self.imports.items()):
            head.append(f"from protocol._generated.{other} import {', '.join(sorted(names))}")
        all_names = ", ".join(f'"{n}"' for n in sorted(defs))
        head += ["", f"__all__ = [{all_names}]", ""]
        return "\n".join(head) + "\n\n" + "\n\n\n".join(bodies) + "\n"


def generate() -> dict[Path, str]:
    """Every generated module, path -> source."""
    out: dict[Path, str] = {OUT_DIR / "__init__.py": '"""Generated from schemas/; do not edit."""\n'}
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        module = _Module(path)
        out[OUT_DIR / f"{module.name}.py"] = module.render()
    return out


def main(argv: list[str]) -> int:
    wanted = generate()
    if "--check" in argv:
        stale = [p for p, text in wanted.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        extra = [p for p in OUT_DIR.glob("*.py") if p not in wanted]
        for p in stale + extra:
            print(f"out of date: {p.relative_to(ROOT)} (run: python -m protocol._codegen)", file=sys.stderr)
        return 1 if stale or extra else 0
    OUT_DIR.mkdir(exist_ok=True)
    for p in OUT_DIR.glob("*.py"):
        if p not in wanted:
            p.unlink()
    for p, text in wanted.items():
        p.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
