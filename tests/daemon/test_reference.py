"""The README's profile reference is generated from the model and must not drift from it."""

from __future__ import annotations

from pathlib import Path

from daemon.config.reference import END, START, profile_reference

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_reference_matches_the_model() -> None:
    text = README.read_text(encoding="utf-8")
    current = text.split(START, 1)[1].split(END, 1)[0]
    assert current.strip() == profile_reference().strip(), (
        "README profile reference is stale: run `python -m daemon.config.reference --write README.md`"
    )


def test_every_field_is_documented() -> None:
    for line in profile_reference().splitlines():
        if line.startswith("| `"):
            assert line.rstrip().rsplit("|", 2)[-2].strip(), f"field without a description: {line}"
