"""Every example in the README runs against the demo as written.

The README's shell blocks run in order, in one bash session with ``set -euo pipefail``, in a
fresh directory holding the demo (built as ``make run`` builds it) and ``.venv`` (a link to
this environment), with a real server on a free port standing in for ``127.0.0.1:8000``. A
fenced block whose info string names a file (```` ```json parking.json ````) is that file's
content, written before the commands run. Lines starting with ``make`` are the two top-level
commands, which the whole suite is run by, so they are not run again here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.acceptance.live_server import run_commons
from tests.acceptance.processes import ServeProcess

README = Path(__file__).resolve().parents[2] / "README.md"
FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[^`]*)$")
DOCUMENTED_ADDRESS = "127.0.0.1:8000"


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    info: str
    text: str

    @property
    def language(self) -> str:
        return self.info.split()[0] if self.info.split() else ""

    @property
    def file(self) -> str | None:
        words = self.info.split()
        return words[1] if len(words) > 1 else None


def blocks(markdown: str) -> list[Block]:
    """The fenced blocks, their indentation (a block inside a list item) taken off."""
    found: list[Block] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None or not opening["info"].strip():
            i += 1
            continue
        indent = len(opening["indent"])
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            body.append(lines[j][indent:] if lines[j][:indent].isspace() else lines[j])
            j += 1
        found.append(Block(i + 1, opening["info"].strip(), "\n".join(body) + "\n"))
        i = j + 1
    return found


def commands(block: Block) -> list[tuple[int, str]]:
    """A shell block's commands with their README line (continuation lines joined)."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for offset, raw in enumerate(block.text.splitlines(), start=block.line + 1):
        if not pending:
            start = offset
        pending.append(raw)
        if raw.rstrip().endswith("\\"):
            continue
        command = "\n".join(pending)
        pending = []
        if command.strip() and not command.lstrip().startswith(("#", "make ")):
            out.append((start, command))
    return out


def script(readme: str, base_url: str) -> str:
    """The bash script running every shell example, each announced with its README line."""
    parts = ["set -euo pipefail", 'WORK="$PWD"']
    for block in blocks(readme):
        if block.language != "sh":
            continue
        for line, command in commands(block):
            live = command.replace(f"http://{DOCUMENTED_ADDRESS}", base_url)
            parts.append(f'cd "$WORK"; echo "README.md:{line}" >&2')
            parts.append(live)
    return "\n".join(parts) + "\n"


def test_blocks_and_commands_are_read_as_written() -> None:
    sample = "\n".join(
        [
            "text",
            "```json a.json",
            '{"x": 1}',
            "```",
            "1. step",
            "",
            "   ```sh",
            "   echo one   # a comment",
            "   curl -X POST \\",
            "        http://127.0.0.1:8000/x",
            "   make run",
            "   ```",
        ]
    )
    found = blocks(sample)
    assert [(b.line, b.language, b.file) for b in found] == [(2, "json", "a.json"), (7, "sh", None)]
    assert found[0].text == '{"x": 1}\n'
    assert commands(found[1]) == [
        (8, "echo one   # a comment"),
        (9, "curl -X POST \\\n     http://127.0.0.1:8000/x"),
    ]


@pytest.mark.acceptance
@pytest.mark.timeout(1500)
def test_every_readme_example_runs_against_the_demo(tmp_path: Path) -> None:
    readme = README.read_text(encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    (work / ".venv").symlink_to(Path(sys.prefix))
    for block in blocks(readme):
        if block.file is not None:
            target = work / block.file
            assert target.resolve().is_relative_to(work), block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, encoding="utf-8")
    data = work / "data"
    run_commons(data, "demo")
    server = ServeProcess(data)
    server.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")}
        env.update({"HOME": str(work), "COMMONS_DATA": str(data), "LANG": "C.UTF-8"})
        run = subprocess.run(
            ["bash", "-c", script(readme, server.base_url)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
    finally:
        server.stop()
    where = [line for line in run.stderr.splitlines() if line.startswith("README.md:")]
    assert run.returncode == 0, (
        f"the example at {where[-1] if where else '?'} failed (exit {run.returncode}):\n"
        f"{run.stderr[-3000:]}\n{run.stdout[-2000:]}"
    )
    ran = sum(len(commands(b)) for b in blocks(readme) if b.language == "sh")
    assert len(where) == ran > 30
