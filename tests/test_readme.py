"""The README's Python example runs as written, and its Quick start keeps the two commands CI relies on."""
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "the README lost its Python example"
    for code in blocks:
        exec(compile(code, str(README), "exec"), {})


def test_quick_start_has_the_main_job_then_the_test_command():
    section = README.read_text(encoding="utf-8").split("## Quick start", 1)[1]
    first, second = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", section, flags=re.S)[:2]
    assert first.strip().endswith("barenet train")
    assert "pytest" in second
