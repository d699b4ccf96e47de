"""The one YAML reader: size, nesting and alias limits, duplicate keys refused, errors naming file and line."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

from survtrial.errors import InputError

__all__ = ["MAX_ALIASES", "MAX_BYTES", "MAX_DEPTH", "MAX_VALUES", "parse_yaml", "read_text", "read_yaml"]

MAX_BYTES = 4 * 2**20  # a scenario, design or rules file is a few kilobytes
MAX_DEPTH = 64  # nested mappings / sequences
MAX_ALIASES = 1_000  # *name references
MAX_VALUES = 200_000  # values of the document with every alias expanded ("billion laughs" stops here)


class _Limit(yaml.YAMLError):
    """A limit was exceeded while composing (carries the mark of the node that exceeded it)."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.problem = message
        self.problem_mark = mark
        self.context = None


class _Loader(yaml.SafeLoader):
    """SafeLoader that counts aliases and nesting while composing and refuses duplicate mapping keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Limit(f"more than {MAX_ALIASES:,} aliases (*name)", self.peek_event().start_mark)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _Limit(f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _mapping_without_duplicates(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            first = seen.get(key)
        except TypeError:  # unhashable key: let the normal constructor report it
            continue
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first given at line {first + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def _expanded_size(root: yaml.Node) -> int:
    """Number of values of the document with every alias expanded; refuses a cycle or more than MAX_VALUES.

    Aliases share nodes, so sizes are memoised per node: the walk costs the number of distinct nodes
    even when the expansion would be astronomically large.
    """
    size: dict[int, int] = {}
    open_nodes: set[int] = set()

    def walk(node: yaml.Node) -> int:
        key = id(node)
        if key in size:
            return size[key]
        if key in open_nodes:
            raise _Limit("an alias refers to the node that contains it (recursive structure)", node.start_mark)
        open_nodes.add(key)
        n = 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [x for pair in node.value for x in pair]
        else:
            children = []
        for child in children:
            n += walk(child)
            if n > MAX_VALUES:
                raise _Limit(f"more than {MAX_VALUES:,} values once its aliases (*name) are expanded", child.start_mark)
        open_nodes.discard(key)
        size[key] = n
        return n

    return walk(root)


def _message(err: yaml.YAMLError, source: str) -> str:
    mark = getattr(err, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    detail = f"{problem} ({context})" if context else problem
    kind = "YAML limit exceeded" if isinstance(err, _Limit) else "YAML syntax error"
    return f"{source}: {kind}{where}: {detail}"


def parse_yaml(text: str, source: str) -> Any:
    """Parse one YAML (or JSON) document safely; ``source`` names it in error messages.

    Refused with an :class:`~survtrial.errors.InputError` naming ``source`` and the line: text over
    ``MAX_BYTES``, nesting deeper than ``MAX_DEPTH``, more than ``MAX_ALIASES`` aliases, more than
    ``MAX_VALUES`` values once aliases are expanded (alias "bombs"), recursive aliases, duplicate
    mapping keys (PyYAML would silently keep the last), and syntax errors.

    Examples
    --------
    >>> parse_yaml("looks: [0.5, 1]", "design")
    {'looks': [0.5, 1]}
    >>> parse_yaml("a: 1\\na: 2", "f")
    Traceback (most recent call last):
    ...
    survtrial.errors.InputError: f: YAML syntax error at line 2, column 1: duplicate key 'a' (first given at line 1)
    """
    if len(text) > MAX_BYTES:
        raise InputError(f"{source}: {len(text):,} characters, more than the {MAX_BYTES:,} a YAML file may have")
    if text in _PARSED:  # the same text parses to the same document: a copy, so callers may change theirs
        _PARSED[text] = _PARSED.pop(text)  # most recently used last
        return copy.deepcopy(_PARSED[text])
    document = _parse(text, source)
    if len(text) > _PARSED_MAX_CHARS:
        return document
    _PARSED[text] = copy.deepcopy(document)
    while len(_PARSED) > _PARSED_KEPT:
        del _PARSED[next(iter(_PARSED))]
    return document


#: Documents parsed in this process by their text (a twin or scenario is read again on every run of a
#: notebook or a benchmark; pure-Python YAML parsing costs about 0.1 s for a scenario).
_PARSED: dict[str, Any] = {}
_PARSED_KEPT = 32
_PARSED_MAX_CHARS = 2**16


def _parse(text: str, source: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        return loader.construct_document(node)
    except yaml.YAMLError as err:
        raise InputError(_message(err, source)) from None
    except RecursionError:
        raise InputError(f"{source}: YAML limit exceeded: nested too deeply") from None
    finally:
        loader.dispose()


def read_text(path: str | os.PathLike[str], what: str = "YAML file") -> str:
    """The UTF-8 text of a YAML file, refused (InputError naming ``what`` and the path) when missing,
    not a regular file (a directory, ``/dev/zero``), over ``MAX_BYTES`` (checked before reading) or
    not UTF-8."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} {str(p)!r} not found")
    if not p.is_file():
        raise InputError(f"{what} {str(p)!r} is not a file")
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise InputError(f"{what} {str(p)!r} is {size:,} bytes, more than the {MAX_BYTES:,} a YAML file may have")
    try:
        with p.open("rb") as fh:
            return fh.read(MAX_BYTES + 1).decode("utf-8")
    except OSError as err:
        raise InputError(f"{what} {str(p)!r} cannot be read: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise InputError(f"{what} {str(p)!r} is not UTF-8 text (byte {err.start}); save it as UTF-8") from None


def read_yaml(path: str | os.PathLike[str], what: str = "YAML file") -> Any:
    """Read the YAML (or JSON) file ``path`` with :func:`read_text`'s checks and :func:`parse_yaml`'s limits.

    ``what`` says what the file is (``"scenario file"``, ``"rules file"``...) in error messages.
    """
    return parse_yaml(read_text(path, what), f"{what} {str(Path(path))!r}")
