"""A small safe evaluator for rule strings, with three-valued (true/false/unknown) logic for blanks.

Grammar (recursive descent; nothing is ever passed to ``eval``)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" expr ")" | comparison
    comparison := operand (op operand)+          # chains: 1 <= age_years < 10
    op         := "<" | "<=" | ">" | ">=" | "==" | "!=" | "in" | "not in" | "is"
    operand    := number | "true" | "false" | word | 'quoted' | "[" operand ("," operand)* "]"

A word is a field name when it is one of the known fields, otherwise a label literal
(``BCR::ABL1``, ``CNS3``, ``undetectable``) or, on the right of ``in``, ``not in`` or ``is``, the
name of a class of that field's labels (``cytogenetics in unfavorable``, ``cytogenetics is
neutral``; ``is`` takes only a class). Labels and classes are checked against the field they are
compared with when the rule is compiled, so a misspelt field, label or class is an error, not a
silent "false".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from survtrial.errors import InputError

__all__ = ["UNKNOWN", "Expr", "compile_rule"]

UNKNOWN = None  # the third truth value

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<num>[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)"
    r"|(?P<op><=|>=|==|!=|<|>|\[|\]|\(|\)|,)"
    r"|(?P<str>'[^']*'|\"[^\"]*\")"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_:.+\-]*)"
    r")"
)
_KEYWORDS = {"and", "or", "not", "in", "is", "true", "false"}


@dataclass(frozen=True)
class _Tok:
    kind: str  # num, op, str, word, kw, end
    text: str
    pos: int


def _tokenize(src: str) -> list[_Tok]:
    out: list[_Tok] = []
    i = 0
    while i < len(src):
        if src[i:].strip() == "":
            break
        m = _TOKEN.match(src, i)
        if m is None or m.end() == i:
            j = len(src) - len(src[i:].lstrip())
            raise InputError(f"rule {src!r}: cannot read character {src[j]!r} at position {j}")
        kind = m.lastgroup or "op"
        text, start = m.group(kind), m.start(kind)
        if kind == "word" and text.lower() in _KEYWORDS:
            kind, text = "kw", text.lower()
        out.append(_Tok(kind, text, start))
        i = m.end()
    out.append(_Tok("end", "", len(src)))
    return out


# ---- syntax tree -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Field:
    name: str


@dataclass(frozen=True)
class _Const:
    value: Any  # float, bool, str, or tuple of those


@dataclass(frozen=True)
class _Compare:
    left: Any
    op: str
    right: Any


@dataclass(frozen=True)
class _Bool:
    op: str  # "and" | "or"
    args: tuple


@dataclass(frozen=True)
class _Not:
    arg: Any


_Node = _Compare | _Bool | _Not


class _Parser:
    def __init__(self, src: str, fields: Mapping[str, FieldSpecLike]):
        self.src, self.fields = src, fields
        self.toks = _tokenize(src)
        self.i = 0

    def error(self, msg: str, tok: _Tok | None = None) -> InputError:
        tok = tok or self.toks[self.i]
        where = f"at position {tok.pos}" if tok.kind != "end" else "at the end"
        return InputError(f"rule {self.src!r}: {msg} {where}")

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def accept(self, kind: str, text: str) -> bool:
        tok = self.peek()
        if tok.kind == kind and tok.text == text:
            self.i += 1
            return True
        return False

    def parse(self) -> _Node:
        node = self.expr()
        if self.peek().kind != "end":
            raise self.error(f"unexpected {self.peek().text!r}")
        return node

    def expr(self) -> _Node:
        args = [self.and_expr()]
        while self.accept("kw", "or"):
            args.append(self.and_expr())
        return args[0] if len(args) == 1 else _Bool("or", tuple(args))

    def and_expr(self) -> _Node:
        args = [self.not_expr()]
        while self.accept("kw", "and"):
            args.append(self.not_expr())
        return args[0] if len(args) == 1 else _Bool("and", tuple(args))

    def not_expr(self) -> _Node:
        if self.peek().kind == "kw" and self.peek().text == "not":
            self.take()
            return _Not(self.not_expr())
        if self.accept("op", "("):
            node = self.expr()
            if not self.accept("op", ")"):
                raise self.error("expected ')'")
            return node
        return self.comparison()

    def comparison(self) -> _Node:
        operands = [self.operand()]
        ops: list[str] = []
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.text in ("<", "<=", ">", ">=", "==", "!="):
                ops.append(self.take().text)
            elif tok.kind == "kw" and tok.text in ("in", "is"):
                ops.append(self.take().text)
            elif tok.kind == "kw" and tok.text == "not" and self.toks[self.i + 1].text == "in":
                self.i += 2
                ops.append("not in")
            else:
                break
            operands.append(self.operand())
        if not ops:
            raise self.error("expected a comparison (==, !=, <, <=, >, >=, in)")
        parts = tuple(_Compare(operands[k], ops[k], operands[k + 1]) for k in range(len(ops)))
        return parts[0] if len(parts) == 1 else _Bool("and", parts)

    def operand(self) -> Any:
        tok = self.take()
        if tok.kind == "num":
            return _Const(float(tok.text))
        if tok.kind == "kw" and tok.text in ("true", "false"):
            return _Const(tok.text == "true")
        if tok.kind == "str":
            return _Const(tok.text[1:-1])
        if tok.kind == "word":
            return _Field(tok.text) if tok.text in self.fields else _Const(tok.text)
        if tok.kind == "op" and tok.text == "[":
            items = [self.operand()]
            while self.accept("op", ","):
                items.append(self.operand())
            if not self.accept("op", "]"):
                raise self.error("expected ']' or ','")
            if any(not isinstance(x, _Const) or isinstance(x.value, tuple) for x in items):
                raise self.error("a list may hold only constants", tok)
            return _Const(tuple(x.value for x in items))
        raise self.error(f"expected a value, got {tok.text or 'nothing'!r}", tok)


class FieldSpecLike:  # structural type: .kind in {"number", "label", "bool"} and .labels
    kind: str
    labels: tuple[str, ...]


# ---- classes: a word on the right of in / not in / is that names a list of the field's labels ----
Classes = Mapping[str, Mapping[str, tuple[str, ...]]]  # field -> class name -> labels


def _resolve_classes(node: Any, src: str, classes: Classes) -> Any:
    """The tree with class names replaced by their label lists (``is`` becomes ``in``)."""
    if isinstance(node, _Bool):
        return _Bool(node.op, tuple(_resolve_classes(a, src, classes) for a in node.args))
    if isinstance(node, _Not):
        return _Not(_resolve_classes(node.arg, src, classes))
    if node.op not in ("in", "not in", "is"):
        return node
    fld, other = node.left, node.right
    named = classes.get(fld.name, {}) if isinstance(fld, _Field) else {}
    if isinstance(other, _Const) and isinstance(other.value, str) and other.value in named:
        return _Compare(fld, "in" if node.op == "is" else node.op, _Const(tuple(named[other.value])))
    if node.op == "is":
        field = fld.name if isinstance(fld, _Field) else _show(fld)
        known = sorted(named) or "none"
        raise InputError(
            f"rule {src!r}: 'is' needs a class of field {field!r} on its right (classes: {known}); "
            f"compare a label with '=='"
        )
    return node


# ---- compile-time checks -----------------------------------------------------------------------
def _check(node: Any, src: str, fields: Mapping[str, FieldSpecLike]) -> None:
    if isinstance(node, _Bool):
        for a in node.args:
            _check(a, src, fields)
        return
    if isinstance(node, _Not):
        _check(node.arg, src, fields)
        return
    left, right = node.left, node.right
    if not isinstance(left, _Field) and not isinstance(right, _Field):
        words = [x.value for x in (left, right) if isinstance(x.value, str)]
        hint = f"; {words[0]!r} is not a known field" if words else ""
        raise InputError(
            f"rule {src!r}: comparison {_show(left)} {node.op} {_show(right)} names no field{hint}; "
            f"known fields: {sorted(fields)}"
        )
    fld, other = (left, right) if isinstance(left, _Field) else (right, left)
    if isinstance(other, _Field):
        return  # field against field: types checked at evaluation
    spec = fields[fld.name]
    values = other.value if isinstance(other.value, tuple) else (other.value,)
    if node.op in ("in", "not in") and not isinstance(other.value, tuple):
        raise InputError(f"rule {src!r}: '{node.op}' needs a list on its right, e.g. [a, b]")
    for v in values:
        if spec.kind == "number" and (isinstance(v, bool) or not isinstance(v, float)):
            raise InputError(f"rule {src!r}: field {fld.name!r} is numeric; cannot compare with {v!r}")
        if spec.kind == "bool" and not isinstance(v, bool):
            raise InputError(f"rule {src!r}: field {fld.name!r} is true/false; cannot compare with {v!r}")
        if spec.kind == "label":
            if not isinstance(v, str) or v not in spec.labels:
                raise InputError(
                    f"rule {src!r}: {v!r} is not a value of field {fld.name!r}; "
                    f"accepted: {list(spec.labels)}"
                )
            if node.op in ("<", "<=", ">", ">="):
                raise InputError(f"rule {src!r}: cannot order labels of field {fld.name!r}")


def _show(x: Any) -> str:
    if isinstance(x, _Field):
        return x.name
    if isinstance(x.value, tuple):
        return "[" + ", ".join(map(_fmt, x.value)) + "]"
    return _fmt(x.value)


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


# ---- evaluation --------------------------------------------------------------------------------
_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}


def _value(x: Any, record: Mapping[str, Any]) -> Any:
    if isinstance(x, _Field):
        return record.get(x.name)
    return x.value


def _eval(node: Any, record: Mapping[str, Any]) -> tuple[bool | None, frozenset[str]]:
    """Kleene logic. Returns (truth, missing) where ``missing`` names the blank fields that make
    an unknown result unknown (empty when the result is known)."""
    if isinstance(node, _Compare):
        a, b = _value(node.left, record), _value(node.right, record)
        missing = frozenset(
            x.name for x, v in ((node.left, a), (node.right, b)) if isinstance(x, _Field) and v is None
        )
        if missing:
            return UNKNOWN, missing
        return bool(_CMP[node.op](a, b)), frozenset()
    if isinstance(node, _Not):
        t, m = _eval(node.arg, record)
        return (None if t is None else not t), m
    results = [_eval(a, record) for a in node.args]
    decisive = node.op == "or"  # True decides an "or", False decides an "and"
    if any(t is decisive for t, _ in results):
        return decisive, frozenset()
    unknown = [m for t, m in results if t is None]
    if unknown:
        return UNKNOWN, frozenset().union(*unknown)
    return (not decisive), frozenset()


@dataclass(frozen=True)
class Expr:
    """A compiled rule string. ``evaluate(record)`` -> (True | False | None, missing field names)."""

    source: str
    tree: Any
    fields: frozenset[str]

    def evaluate(self, record: Mapping[str, Any]) -> tuple[bool | None, frozenset[str]]:
        return _eval(self.tree, record)

    def __repr__(self) -> str:
        return f"Expr({self.source!r})"


def _fields_of(node: Any) -> set[str]:
    if isinstance(node, _Bool):
        return set().union(*(_fields_of(a) for a in node.args))
    if isinstance(node, _Not):
        return _fields_of(node.arg)
    return {x.name for x in (node.left, node.right) if isinstance(x, _Field)}


def compile_rule(source: str, fields: Mapping[str, FieldSpecLike], classes: Classes | None = None) -> Expr:
    """Parse and type-check a rule string against the known ``fields`` (name -> spec) and the
    label ``classes`` (field -> class name -> labels) that ``in``/``not in``/``is`` may name."""
    if not isinstance(source, str) or not source.strip():
        raise InputError(f"rule {source!r}: expected a non-empty rule string")
    tree = _resolve_classes(_Parser(source, fields).parse(), source, classes or {})
    _check(tree, source, fields)
    return Expr(source, tree, frozenset(_fields_of(tree)))
