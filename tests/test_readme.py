"""Every Python code block of README.md runs as written, each in a fresh interpreter (as a
newcomer pastes it); a block followed by "prints" and a text block prints that text, up to times
and metric values (which vary from run to run)."""
import os
import re
import subprocess
import sys

import pytest

README = os.path.join(os.path.dirname(__file__), os.pardir, "README.md")


def blocks():
    text = open(README, encoding="utf-8").read()
    found = re.findall(r"```python\n(.*?)```(?:\n\nprints\n\n```text\n(.*?)```)?", text, re.S)
    return [(code, shown or None) for code, shown in found]


def normalize(text):
    text = re.sub(r"\d+(ms|us|s)/(step|epoch)", r"T/\2", text)
    text = re.sub(r" - \d+s", " - Ts", text)
    text = re.sub(r"ETA: [\d:]+s?", "ETA: T", text)
    return re.sub(r"\d+\.\d+(e-\d+)?", "V", text).strip()


def test_readme_has_the_newcomer_examples():
    codes = [code for code, _ in blocks()]
    assert len(codes) >= 4
    assert any("model.fit(" in c for c in codes)
    assert any("tf.data.Dataset" in c for c in codes)
    assert any(shown for _, shown in blocks())


@pytest.mark.parametrize("index", range(len(blocks())))
def test_readme_block_runs(index, tmp_path):
    code, shown = blocks()[index]
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=tmp_path, timeout=300)
    assert p.returncode == 0, f"README block {index} failed:\n{code}\n{p.stderr}"
    if shown is not None:
        assert normalize(p.stdout) == normalize(shown)
