"""Every shell command and Python example in the README and docs/ runs as written, in the order shown
(issue 16, criterion 2), so that the documentation cannot rot.

Each document's examples run one after the other in a fresh copy of the repository (so commands that
write into ``docs/``, ``results/`` or the working folder touch the copy only). ``COLLECTION_LAB_SMOKE=1``
shrinks the long ones: ``python -m sim run|compare`` to 300 households, 3 + 6 months and at most 2
replications, and every experiment script to its ``--tiny`` size; the commands themselves are run
literally. A Python example runs as a script file of its own (``python example.py``), as a reader would
save it, so a missing ``if __name__ == "__main__":`` guard fails here.

Left out, each for its stated reason: see ``NOT_RUN``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]

#: commands not run here (a prefix of the command line), and why
NOT_RUN = {
    "make run": "starts the app's web server and waits (tests/test_app.py and tests/test_browser.py cover the app)",
    "make test": "is this test suite",
    "dask scheduler": "starts a Dask scheduler that runs until stopped (tests/test_sweep.py runs sweeps on Dask)",
    "dask worker": "needs a running scheduler at a placeholder address",
    "python experiments/compare.py --scheduler tcp://SCHEDULER": "needs a running scheduler at a placeholder address",
}
TIMEOUT_S = 600


def blocks(document: str) -> list[list[tuple[str, str]]]:
    """The document's code blocks in order, each as its examples in order: ("sh", command line) and
    ("python", source); blocks with nothing to run are left out."""
    text = (ROOT / document).read_text(encoding="utf-8")
    found = []
    for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE):
        block = []
        if lang == "python":
            block.append(("python", body))
        elif lang in ("sh", "bash", ""):
            for line in body.splitlines():
                line = line.strip()
                if line.startswith("$ "):  # a transcript: the command, then its output
                    block.append(("sh", line[2:]))
                elif lang and line and not line.startswith("#"):
                    block.append(("sh", line))
                elif not lang and line.startswith("python "):  # a bare command block ("Reproduce with:")
                    block.append(("sh", line))
        if block:
            found.append(block)
    return found


def examples(document: str) -> list[tuple[str, str]]:
    """The document's examples in order, all blocks together."""
    return [example for block in blocks(document) for example in block]


def skipped(command: str) -> str | None:
    return next((why for prefix, why in NOT_RUN.items() if command.startswith(prefix)), None)


def test_the_documents_have_examples():
    """The extraction finds what the documents hold (so that an empty list never passes silently)."""
    counts = {doc: len(examples(doc)) for doc in DOCUMENTS}
    assert counts["README.md"] >= 8 and counts["docs/experiments.md"] >= 14, counts
    assert any(kind == "python" for kind, _ in examples("docs/portfolio.md"))


@pytest.fixture
def repo_copy(tmp_path) -> Path:
    """The repository's working files (no .git, virtual environment or results), in a temporary folder."""
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", ".venv", "results", "__pycache__", ".hypothesis", ".pytest_cache", "*.egg-info", ".ruff_cache"))
    return copy


def run_example(kind: str, body: str, where: Path, n: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLLECTION_LAB_SMOKE": "1", "PYTHONPATH": str(where), "MPLBACKEND": "Agg",
           "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    if kind == "python":
        script = where / f"example_{n}.py"
        script.write_text(body)
        argv = [sys.executable, str(script)]
    else:
        argv = shlex.split(body, comments=True)
        if argv[0] == "python":
            argv[0] = sys.executable
    return subprocess.run(argv, cwd=where, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)


@pytest.mark.timeout(2 * TIMEOUT_S)
@pytest.mark.parametrize(("document", "block"), [(d, k) for d in DOCUMENTS for k in range(len(blocks(d)))])
def test_every_example_in_the_document_runs_as_written(document, block, repo_copy):
    """The examples of one code block, in order (the blocks of a document do not depend on each other:
    each Python example is self-contained, and the shell blocks write to folders of their own)."""
    ran = 0
    if all(kind == "sh" and skipped(body) for kind, body in blocks(document)[block]):
        reasons = sorted({skipped(body) for _, body in blocks(document)[block]})
        pytest.skip(f"{document}, block {block}: " + "; ".join(reasons))
    for n, (kind, body) in enumerate(blocks(document)[block]):
        if kind == "sh" and skipped(body):
            continue
        out = run_example(kind, body, repo_copy, n)
        shown = body if kind == "sh" else f"Python example {n} of {document}"
        assert out.returncode == 0, f"{document}: {shown}: exit {out.returncode}\n{out.stderr[-3000:]}"
        assert "Traceback" not in out.stderr, f"{document}: {shown}\n{out.stderr[-3000:]}"
        ran += 1
    assert ran > 0


def inline_commands() -> list[tuple[str, str]]:
    """Complete commands quoted in the prose of the README and docs/ (``python ...`` in backticks), each
    once, in order of appearance: not a template with placeholders (FILE, DIR, [--rows N], a|b), not a
    bare subcommand name, and not one a code block already runs."""
    in_blocks = {body for doc in DOCUMENTS for kind, body in examples(doc) if kind == "sh"}
    found: list[tuple[str, str]] = []
    for doc in DOCUMENTS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        for command in re.findall(r"`(python\s[^`]+)`", text):
            command = " ".join(command.split())
            words = shlex.split(command)
            bare = words[1:3] == ["-m", "sim"] and len(words) == 4 and words[3] in ("run", "compare", "validate")
            if (re.search(r"\b[A-Z]{2,}\b|[|\[]", command) or bare or command in in_blocks
                    or command in (c for _, c in found)):
                continue
            found.append((doc, command))
    return found


def test_every_complete_command_quoted_in_the_prose_runs(repo_copy):
    commands = inline_commands()
    assert len(commands) >= 8, commands
    for n, (doc, command) in enumerate(commands):
        out = run_example("sh", command, repo_copy, n)
        assert out.returncode == 0, f"{doc}: {command}: exit {out.returncode}\n{out.stderr[-3000:]}"
        assert "Traceback" not in out.stderr, f"{doc}: {command}\n{out.stderr[-3000:]}"


def test_the_commands_left_out_are_few_and_explained():
    left_out = [(doc, body) for doc in DOCUMENTS for kind, body in examples(doc) if kind == "sh" and skipped(body)]
    assert len(left_out) <= len(NOT_RUN) + 1, left_out


def test_the_readme_states_the_hostile_input_figures_the_suite_runs():
    """The README's count of hostile-input cases (hand-written, and generated by hypothesis at most) is the
    suite's: collected test cases of the three hostile-input files, less the hypothesis tests, and the sum
    of those tests' max_examples."""
    import importlib

    files = ["tests/test_hostile_inputs.py", "tests/test_portfolio_hostile.py", "tests/test_validation.py"]
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", *files],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    collected = [line for line in out.stdout.splitlines() if "::" in line]
    generated = given = 0
    for path in files:
        module = importlib.import_module(Path(path).stem)
        for name in dir(module):
            test = getattr(module, name)
            if name.startswith("test_") and hasattr(test, "hypothesis"):
                given += 1
                generated += test._hypothesis_internal_use_settings.max_examples
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"run (\d+)\s+hand-written cases and up to (\d+) generated ones", readme)
    assert stated, "README: the sentence with the hostile-input figures is missing"
    assert (int(stated.group(1)), int(stated.group(2))) == (len(collected) - given, generated)
