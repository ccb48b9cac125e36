"""The README's Python example runs as written (in a temporary folder), and prints what its
comments say."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def python_examples() -> list:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_python_example_runs(tmp_path: Path) -> None:
    examples = python_examples()
    assert len(examples) == 1, "the README's Python example is gone or there are more to test"
    cwd = os.getcwd()
    out = io.StringIO()
    try:
        os.chdir(tmp_path)
        with contextlib.redirect_stdout(out):
            exec(compile(examples[0], "README.md", "exec"), {"__name__": "readme"})
    finally:
        os.chdir(cwd)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("setosa {'setosa': 0.98"), lines[0]
    assert any("r1" in line and "iris-lr" in line for line in lines), lines
    gap = [line for line in lines if line.startswith("largest difference from scikit-learn:")]
    assert len(gap) == 1 and float(gap[0].split(":")[1]) <= 1e-12, gap
    assert lines[-1].startswith('input records[0]: unknown field "colour"; the model\'s features are'), lines[-1]
    assert (tmp_path / "mlops-lite-python.db").exists()
