"""Loading a specification: from a file, from text, or from the ones shipped in ``playbook/specs``.

It reads YAML safely (no tags, no aliases, no duplicate keys), then hands the mapping to the parser and the
legal cross-checks; this is the module that joins them, so :func:`parse_spec` is the one way in.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from playbook.purpose.errors import SpecError, shorten
from playbook.purpose.legal_checks import semantic_problems
from playbook.purpose.model import PurposeSpec
from playbook.purpose.parsing import _Builder
from playbook.safe_names import shorten as cut  # one rule for cutting text in messages


def builtin_names() -> list[str]:
    """The specifications shipped with the package, by name (``shielding`` for ``playbook/specs/shielding.yaml``)."""
    folder = resources.files("playbook") / "specs"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml") and p.is_file())


def _builtin_text(name: str) -> str:
    """The text of a built-in specification. Only a name from :func:`builtin_names` is read, never a path."""
    available = builtin_names()
    if name not in available:
        raise FileNotFoundError(
            f"no built-in specification {shorten(name)}; available: {', '.join(available)}. "
            "To load your own file, use load_spec(path)."
        )
    return (resources.files("playbook") / "specs" / f"{name}.yaml").read_text(encoding="utf-8")


def load_builtin(name: str = "shielding") -> PurposeSpec:
    """Load a specification shipped with the package (``playbook/specs/<name>.yaml``).

    Notebooks use this so they never depend on a path relative to where they run.
    """
    return parse_spec(_builtin_text(name), source=f"{name}.yaml")


def builtin_mapping(name: str = "shielding") -> dict:
    """The built-in specification as a plain, editable mapping: for lessons that break it on purpose."""
    return load_yaml(_builtin_text(name), source=f"{name}.yaml")


def load_spec(path: str | Path) -> PurposeSpec:
    """Load and validate a specification from a YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(path.name, [f"not UTF-8 text (byte {exc.start}): save the file as UTF-8"]) from None
    return parse_spec(text, source=path.name)


class _SpecLoader(yaml.SafeLoader):
    """YAML's safe loader (no ``!!python/object`` tags) that also refuses aliases: a specification has no need
    of them, and an alias bomb (a few KB that expand to billions of values) must not reach the validator."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"found the alias *{cut(event.anchor)}: aliases (*name) are not allowed in a "
                "specification; write the value out in full",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def _duplicate_keys(root: yaml.Node) -> list[str]:
    """Every key written twice in one mapping, at any level. YAML keeps the last, so a reviewer reading the first
    ``row_scope`` would approve something other than what runs."""
    problems = []
    stack = [(root, "the top level")]
    while stack:
        node, place = stack.pop()
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                ids = (
                    [v.value for k, v in item.value if k.value == "id" and isinstance(v, yaml.ScalarNode)]
                    if isinstance(item, yaml.MappingNode)
                    else []
                )
                stack.append((item, f"{place}[{i}]" + (f" ({shorten(ids[0])})" if ids else "")))
        elif isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if (key.tag, key.value) in first:
                        problems.append(
                            (
                                line,
                                f"line {line}: duplicate key {shorten(key.value)} in {place} (first "
                                f"on line {first[key.tag, key.value]}); YAML would silently keep the "
                                "last one: keep one and delete the other",
                            )
                        )
                    first.setdefault((key.tag, key.value), line)
                    name = cut(key.value)
                    stack.append((value, name if place == "the top level" else f"{place}.{name}"))
    return [text for _, text in sorted(problems)]


def load_yaml(text: str, source: str = "<text>") -> Any:
    """YAML text as Python values, refusing what a specification must not hold: ``!!python/object`` tags,
    aliases and duplicate keys. Raises :class:`SpecError` naming the line."""
    loader = _SpecLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        duplicates = _duplicate_keys(node)
        if duplicates:
            raise SpecError(source, duplicates)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise SpecError(source, [f"not valid YAML: {exc}"]) from None
    except RecursionError:
        raise SpecError(source, ["not valid YAML: nested too deeply"]) from None
    finally:
        loader.dispose()


def parse_spec(text_or_mapping: str | Mapping[str, Any], source: str = "<text>") -> PurposeSpec:
    """Parse and validate a specification from YAML text or an already-loaded mapping.

    Raises :class:`SpecError` listing every problem, each naming where it is.
    """
    raw = load_yaml(text_or_mapping, source) if isinstance(text_or_mapping, str) else text_or_mapping
    builder = _Builder()
    spec = builder.build(raw)
    problems = builder.problems
    if spec is not None:
        problems += semantic_problems(spec)
    if problems or spec is None:  # the builder returns None only with problems recorded
        raise SpecError(source, problems)
    return spec
