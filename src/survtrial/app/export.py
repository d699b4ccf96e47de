"""Export the explorer's design: the design file (YAML, as `survtrial design design.yaml` reads it), its report
(HTML and RTF, as `survtrial design design.yaml --out DIR --format rtf` writes them) and Python code."""

from __future__ import annotations

import math
import pprint
from typing import Any

import yaml

from survtrial.app.inputs import ENROLL_COLUMNS, FAIL_COLUMNS, FAIL_COLUMNS_MEDIAN, DesignInputs, design_call

__all__ = ["REPORT_SOURCE", "design_python", "design_result", "design_yaml", "message_file", "report_html",
           "report_rtf", "yaml_data"]

#: The design file named in an exported report's provenance.
REPORT_SOURCE = "design.yaml (exported by survtrial app)"


def _num(v: Any) -> Any:
    if isinstance(v, str):
        return v
    f = float(v)
    if math.isinf(f):
        return math.inf
    return int(f) if f.is_integer() else f


def _test_key(inputs: DesignInputs) -> str:
    if inputs.test == "maxcombo":
        return "maxcombo(" + ", ".join(inputs.combo_tests) + ")"
    if inputs.test == "fh":
        return f"fh({inputs.rho:g}, {inputs.gamma:g})"
    return "logrank"


def yaml_data(inputs: DesignInputs, title: str | None = None) -> dict[str, Any]:
    """The design file as a mapping: ``time_unit``, the tables (gsDesign2's names), ``test``, ``alpha``,
    ``sided``, ``power``, ``looks``, ``efficacy``, ``futility``."""
    design_call(inputs)  # the same checks as the design itself
    fail_cols = FAIL_COLUMNS_MEDIAN if inputs.control_as == "median" else FAIL_COLUMNS
    data: dict[str, Any] = {}
    if title:
        data["title"] = title
    data |= {
        "time_unit": inputs.time_unit,
        "allocation_ratio": _num(inputs.allocation_ratio),
        "enroll_rate": [{c: _num(r.get(c)) for c in ENROLL_COLUMNS} for r in inputs.enroll],
        "fail_rate": [{c: _num(r.get(c)) for c in fail_cols} for r in inputs.fail],
        "test": _test_key(inputs),
        "alpha": _num(inputs.alpha),
        "sided": int(inputs.sided),
        "power": _num(inputs.power),
        "looks": {"analysis_times": [_num(inputs.final_time)],
                  "information_fractions": [_num(f) for f in inputs.fractions]},
        "efficacy": {"spending": inputs.alpha_spending},
    }
    if inputs.beta_spending and inputs.beta_spending != "none":
        data["futility"] = {"spending": inputs.beta_spending, "binding": bool(inputs.binding_futility)}
    return data


def _flow(value: Any) -> str:
    """One YAML value on one line (flow style)."""
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1000).removesuffix("\n...\n").strip()


def design_yaml(inputs: DesignInputs, title: str | None = None) -> str:
    """The design file text (YAML): one row per line in the tables, keys in the order of the layout.

    Examples
    --------
    >>> from survtrial.app.inputs import default_inputs
    >>> print(design_yaml(default_inputs()).splitlines()[3])
    enroll_rate:
    """
    data = yaml_data(inputs, title)
    lines = []
    for key, value in data.items():
        if key in ("enroll_rate", "fail_rate"):
            lines.append(f"{key}:")
            lines += [f"  - {_flow(row)}" for row in value]
        elif key == "looks":
            lines.append(f"{key}:")
            lines += [f"  {k}: {_flow(v)}" for k, v in value.items()]
        else:
            lines.append(f"{key}: {_flow(value)}")
    return "# survtrial design file (survtrial app); read by `survtrial design design.yaml`\n" + "\n".join(lines) + "\n"


def design_python(inputs: DesignInputs) -> str:
    """Python code that reproduces the design with the survtrial.design API (the call the app makes).

    Examples
    --------
    >>> from survtrial.app.inputs import default_inputs
    >>> namespace = {}
    >>> exec(design_python(default_inputs()), namespace)  # doctest: +ELLIPSIS
    NphGroupSequentialDesign(log-rank (AHR), K=2, one-sided alpha=0.025, power=0.9000, info scale h0_h1)
    ...
    >>> round(namespace["design"].n_subjects, 1)
    483.7
    """
    name, tables, kw = design_call(inputs)

    def lit(v: Any) -> str:
        return pprint.pformat(v, width=100, sort_dicts=False).replace("inf", "math.inf")

    enroll = {c: [_num(x) for x in v] for c, v in tables["enroll_rate"].items()}
    fail = {c: [_num(x) for x in v] for c, v in tables["fail_rate"].items()}
    args = ",\n    ".join(f"{k}={v!r}" for k, v in kw.items())
    return (
        "import math\n\n"
        f"from survtrial.design import design_assumptions, {name}\n\n"
        f"# time unit: {inputs.time_unit}\n"
        f"enroll_rate = {lit(enroll)}\n"
        f"fail_rate = {lit(fail)}\n"
        "assumptions = design_assumptions(enroll_rate, fail_rate, "
        f"allocation_ratio={_num(tables['allocation_ratio'])!r})\n"
        f"design = {name}(\n    assumptions,\n    {args},\n)\n"
        "print(design)\n"
    )


def design_result(inputs: DesignInputs, design: Any, check: Any = None) -> Any:
    """The exported design file's result and report (:class:`~survtrial.workflows.design_file.DesignFileResult`),
    as `survtrial design design.yaml` builds them: the file is :func:`yaml_data` validated by the design file's
    parser, ``design`` the explorer's design of the same inputs, ``check`` its check by simulation (or None)."""
    from survtrial.design.design_file import parse_design_file
    from survtrial.workflows.design_file import design_file_result

    f = parse_design_file(yaml_data(inputs), "design.yaml")
    return design_file_result(f, design, check, command="survtrial app", source=REPORT_SOURCE)


def report_html(result: Any) -> bytes:
    """The design report as one self-contained HTML file (figures inline, no external resources), complete:
    the bytes `survtrial design` writes as report.html for the same result."""
    return result.report.render().encode("utf-8")


def report_rtf(result: Any) -> bytes:
    """The design report's tables and figure as one RTF file (TLF conventions), complete: written atomically to
    a temporary folder by :meth:`~survtrial.workflows.design_file.DesignFileResult.to_rtf`, then read back."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="survtrial-app-") as tmp:
        return result.to_rtf(Path(tmp) / "report.rtf").read_bytes()


def message_file(kind: str, text: str) -> bytes:
    """A whole, valid HTML or RTF file holding one sentence (what a report download gives while there is no
    design to report, and why).

    Examples
    --------
    >>> print(message_file("rtf", "Fix the design first: alpha {0.7}").decode(), end="")
    {\\rtf1\\ansi Fix the design first: alpha \\{0.7\\}\\par}
    """
    if kind == "html":
        from html import escape

        return f"<!DOCTYPE html>\n<html><body><p>{escape(text)}</p></body></html>\n".encode()
    escaped = "".join(f"\\{c}" if c in "\\{}" else c if ord(c) < 128 else f"\\u{ord(c)}?" for c in text)
    return ("{\\rtf1\\ansi " + escaped + "\\par}\n").encode("ascii")
