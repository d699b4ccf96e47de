# The validation page, generated from the test suite (included into docs/validation.md and executed by
# markdown-exec at build time): every test that compares survtrial with a number computed elsewhere (R,
# a published table, another library, an independent implementation in the test), with the reference
# named in the test's docstring or comments, the tolerance of its assertions, and the test's result when a
# JUnit XML report of the run is given (SURVTRIAL_JUNIT=path; .ci/run passes the suite's own).
import ast
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

TESTS = Path("tests")
KINDS = [  # (kind, pattern); the first that matches a test's reference text names it
    ("R", r"\bR\b|survival::|survfit|coxph|survdiff|cox\.zph|survSplit|cmprsk|cuminc\(|rpact|gsDesign|"
          r"simtrial|survRM2|nphRCT|npsurvSS|IPDfromKM|Rscript|getDesign|getSampleSize"),
    ("published", r"[Pp]ublished|NEJM|Lancet|JCO|[Tt]extbook|Jennison|Turnbull|Klein|Moeschberger|Collett|"
                  r"Kalbfleisch|Newcombe|Freireich|Gehan|Guyot|Lachin|Foulkes|Schoenfeld \(19|Table \d"),
    ("other library", r"lifelines|scipy\.|statsmodels"),
    ("independent implementation", r"plain loop|independent|double programming|by hand|hand comput|"
                                   r"textbook formula|brute force|numerical integration|Monte[- ]Carlo"),
]
TOL_KEYS = ("rtol", "atol", "rel", "abs")


def _comments(lines: list[str], start: int, end: int) -> list[str]:
    return [ln.split("#", 1)[1].strip() for ln in lines[start:end] if "#" in ln and not ln.strip().startswith("'")]


def _preceding_comment(lines: list[str], lineno: int) -> list[str]:
    out = []
    k = lineno - 2
    while k >= 0 and lines[k].strip().startswith("#"):
        out.insert(0, lines[k].strip().lstrip("#").strip())
        k -= 1
    return out


def _tolerances(node: ast.AST, src: str) -> list[str]:
    tols = []
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        name = getattr(call.func, "attr", getattr(call.func, "id", ""))
        if name in ("assert_allclose", "approx", "isclose", "allclose", "assert_array_almost_equal",
                    "assert_almost_equal"):
            kws = [f"{k.arg} {ast.get_source_segment(src, k.value)}" for k in call.keywords if k.arg in TOL_KEYS]
            if name in ("assert_array_almost_equal", "assert_almost_equal"):
                dec = [ast.get_source_segment(src, k.value) for k in call.keywords if k.arg == "decimal"]
                kws = [f"{dec[0] if dec else 6} decimals"]
            tols.append(", ".join(kws) if kws else {"assert_allclose": "rtol 1e-7", "approx": "rel 1e-6",
                                                    "isclose": "rtol 1e-5", "allclose": "rtol 1e-5"}[name])
    for cmp in (n for n in ast.walk(node) if isinstance(n, ast.Compare)):
        if any(isinstance(op, ast.Lt | ast.LtE) for op in cmp.ops) and isinstance(cmp.left, ast.Call) and \
                getattr(cmp.left.func, "id", getattr(cmp.left.func, "attr", "")) in ("abs", "max"):
            bound = ast.get_source_segment(src, cmp.comparators[-1])
            if bound and len(bound) < 40:
                tols.append(f"|difference| < {bound}")
    seen = []
    for t in tols:
        if t not in seen:
            seen.append(t)
    return seen


def _junit(path: str | None) -> dict[str, str]:
    if not path or not Path(path).is_file():
        return {}
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        key = f"{case.get('classname', '')}.{case.get('name', '')}"
        status = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                status = "failed"
            elif child.tag == "skipped":
                status = "skipped"
        base = re.sub(r"\[.*\]$", "", key)
        if out.get(base) != "failed":
            out[base] = status if status == "failed" or base not in out else out[base]
    return out


def collect(junit: str | None = None) -> list[dict[str, str]]:
    """One row per reference comparison found in the tests."""
    results = _junit(junit)
    rows = []
    for path in sorted(TESTS.rglob("test_*.py")):
        src = path.read_text(encoding="utf-8")
        lines = src.splitlines()
        tree = ast.parse(src)
        module_comments = {}  # module-level name -> the comment block above its assignment
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                text = " ".join(_preceding_comment(lines, node.lineno) + _comments(lines, node.lineno - 1,
                                                                                 node.end_lineno))
                for t in targets:
                    if isinstance(t, ast.Name) and text:
                        module_comments[t.id] = text
        funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
        for fn in funcs:
            doc = ast.get_docstring(fn) or ""
            own = " ".join([doc, *_preceding_comment(lines, fn.lineno),
                            *_comments(lines, fn.lineno - 1, fn.end_lineno)])
            used = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
            borrowed = " ".join(module_comments[n] for n in sorted(used) if n in module_comments)
            text = f"{own} {borrowed}"
            kind = next((k for k, pat in KINDS if re.search(pat, text)), None)
            tols = _tolerances(fn, src)
            if kind is None or (not tols and kind != "published"):
                continue
            ref = _reference_phrase(own, borrowed, kind)
            rel = path.relative_to(TESTS).with_suffix("")
            key = ".".join(("tests", *rel.parts)) + f".{fn.name}"
            stat = rel.parts[-1].removeprefix("test_").replace("_", " ")
            rows.append({"area": rel.parts[0] if len(rel.parts) > 1 else "package", "statistic": stat,
                         "test": f"{rel.as_posix()}.py::{fn.name}", "kind": kind, "reference": ref,
                         "tolerance": "; ".join(tols) if tols else "as printed",
                         "result": _result(results, key, rel, fn.name)})
    return rows


def _result(results: dict[str, str], key: str, rel: Path, name: str) -> str:
    if not results:
        return "not run in this build"
    for k, v in results.items():
        if k.endswith(f"{rel.parts[-1]}.{name}") or k == key:
            return v
    # the lifelines cross-checks run in an environment of their own (pytest -m lifelines in .ci/run)
    return "lifelines run (own environment)" if "lifelines" in name else "not in this run"


def _reference_phrase(own: str, borrowed: str, kind: str) -> str:
    pat = dict(KINDS)[kind]
    for text in (own, borrowed):
        for sentence in re.split(r"(?<=[.;:])\s+|\n", text):
            if re.search(pat, sentence):
                s = re.sub(r"\s+", " ", sentence).strip(" #")
                return (s[:157] + "...") if len(s) > 160 else s
    return kind


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def validation_markdown(junit: str | None = None) -> str:
    rows = collect(junit if junit is not None else os.environ.get("SURVTRIAL_JUNIT"))
    out = []
    by_kind = {}
    for r in rows:
        by_kind[r["kind"]] = by_kind.get(r["kind"], 0) + 1
    status = {}
    for r in rows:
        status[r["result"]] = status.get(r["result"], 0) + 1
    out.append(f"**{len(rows)} reference comparisons** in the test suite: "
               + ", ".join(f"{n} against {k}" for k, n in sorted(by_kind.items(), key=lambda kv: -kv[1]))
               + ". Results: " + ", ".join(f"{n} {s}" for s, n in sorted(status.items())) + ".\n")
    for area in sorted({r["area"] for r in rows}):
        out.append(f"\n## {area}\n")
        out.append("| statistic | test | reference | tolerance | result |")
        out.append("|---|---|---|---|---|")
        for r in (x for x in rows if x["area"] == area):
            out.append(f"| {_cell(r['statistic'])} | `{r['test'].split('::')[1]}` | {_cell(r['reference'])} "
                       f"| {_cell(r['tolerance'])} | {r['result']} |")
    return "\n".join(out)
