"""Regenerate examples/cohort.csv: 60 synthetic children in the cohort-file format of `survtrial benefit`
and `survtrial classify` (the README's commands read it; seed 2025).

Run:  python examples/make_cohort_example.py   (same seed, same file)
"""

from __future__ import annotations

from pathlib import Path

from survtrial.clinical.population import synthetic_cohort

HERE = Path(__file__).resolve().parent


def main() -> Path:
    synthetic_cohort(60, rng=2025).to_csv(HERE / "cohort.csv", index=False)
    return HERE / "cohort.csv"


if __name__ == "__main__":
    print(f"wrote {main()}")
