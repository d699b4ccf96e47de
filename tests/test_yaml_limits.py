"""The one YAML reader (survtrial._yaml): hostile documents are refused quickly, naming the file and line."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
import yaml

from survtrial._yaml import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, MAX_VALUES, parse_yaml, read_yaml
from survtrial.errors import InputError

SRC = Path(__file__).resolve().parents[1] / "src" / "survtrial"


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs" document: each level repeats the previous one ``width`` times."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_before_expansion():
    # 9 levels of 9: 9**9 = 387,420,489 strings once expanded; composing it takes 81 aliases
    with pytest.raises(InputError, match=r"bomb\.yaml': YAML limit exceeded at line \d+, column \d+: more than "
                                         r"200,000 values once its aliases \(\*name\) are expanded"):
        parse_yaml(alias_bomb(), "design file 'bomb.yaml'")


def test_expansion_just_under_the_limit_is_read_as_plain_yaml_does():
    text = alias_bomb(levels=5, width=9)  # 9**5 = 59,049 strings plus the lists: under MAX_VALUES
    assert parse_yaml(text, "f") == yaml.safe_load(text)


def test_too_many_aliases():
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(InputError, match=f"more than {MAX_ALIASES:,} aliases"):
        parse_yaml(text, "f")


def test_recursive_alias():
    with pytest.raises(InputError, match="line 1, column 1: an alias refers to the node that contains it"):
        parse_yaml("&a [1, *a]", "f")


@pytest.mark.parametrize("text", ["[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "[" * 100_000])
def test_deep_nesting(text):
    with pytest.raises(InputError, match=f"nested more than {MAX_DEPTH} levels deep"):
        parse_yaml(text, "f")


def test_huge_text_and_file(tmp_path):
    big = "# " + "x" * MAX_BYTES + "\nkey: 1\n"
    with pytest.raises(InputError, match=f"more than the {MAX_BYTES:,} a YAML file may have"):
        parse_yaml(big, "f")
    p = tmp_path / "huge.yaml"
    with p.open("wb") as fh:  # sparse: the size is checked before anything is read
        fh.truncate(50 * MAX_BYTES)
    with pytest.raises(InputError, match=rf"huge\.yaml' is {50 * MAX_BYTES:,} bytes, more than the {MAX_BYTES:,}"):
        read_yaml(p, "scenario file")


def test_not_a_regular_file_missing_and_not_utf8(tmp_path):
    with pytest.raises(InputError, match="rules file '/dev/zero' is not a file"):
        read_yaml("/dev/zero", "rules file")
    with pytest.raises(InputError, match="is not a file"):
        read_yaml(tmp_path, "rules file")
    with pytest.raises(InputError, match=r"absent\.yaml' not found"):
        read_yaml(tmp_path / "absent.yaml", "rules file")
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes("title: \xe9tude\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1\.yaml' is not UTF-8 text \(byte 7\)"):
        read_yaml(latin, "design file")


def test_duplicate_keys_and_python_tags_are_refused():
    with pytest.raises(InputError, match=r"line 3, column 3: duplicate key 'b' \(first given at line 2\)"):
        parse_yaml("a:\n  b: 1\n  b: 2\n", "f")
    with pytest.raises(InputError, match="could not determine a constructor"):
        parse_yaml("!!python/object/apply:os.system ['echo hacked']", "f")


def test_ordinary_documents_read_as_safe_load_reads_them():
    for path in [*SRC.glob("**/*.yaml"), SRC.parents[1] / "examples" / "aall1731_design.yaml"]:
        text = path.read_text(encoding="utf-8")
        assert parse_yaml(text, str(path)) == yaml.safe_load(text), path
    assert parse_yaml("", "f") is None
    assert parse_yaml('{"json": [1, 2.5, null]}', "f") == {"json": [1, 2.5, None]}
    assert MAX_VALUES >= 100_000


def test_every_yaml_read_goes_through_the_one_reader():
    """No module other than survtrial/_yaml.py parses YAML itself."""
    offenders = []
    for path in SRC.glob("**/*.py"):
        if path.name == "_yaml.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\byaml\.(safe_load|load|full_load|unsafe_load|load_all|safe_load_all|compose)\b", text):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


def test_a_text_parsed_again_gives_an_equal_independent_document():
    text = "arms: [a, b]\nstart: 2019-06-28\nnested: {x: 1.5}\n"
    first = parse_yaml(text, "f")
    first["arms"].append("c")
    first["nested"]["x"] = 0
    again = parse_yaml(text, "f")
    assert again == {"arms": ["a", "b"], "start": datetime.date(2019, 6, 28), "nested": {"x": 1.5}}
    assert again is not parse_yaml(text, "f")
    for _ in range(2):  # refused every time, not only when first read
        with pytest.raises(InputError, match="duplicate key 'a'"):
            parse_yaml("a: 1\na: 2", "f")
