"""The ``commons`` command line, run in-process with click's runner on a real data dir."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from api.cli import main
from ledger import chart


def commons(data: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["--lang", "en", "--data", str(data), *args], catch_exceptions=False
    )
    return result.exit_code, result.output


def community(data: Path) -> None:
    """``maple`` with a treasurer, ``li``, who posts as ``--as li``."""
    assert commons(data, "init", "maple", "--name", "枫林苑", "--start", "2025-01-01")[0] == 0
    added = ["user", "add", "li", "--community", "maple", "--role", "treasurer", "--no-token"]
    assert commons(data, *added)[0] == 0


def body(amount: str, key: str, **extra: object) -> dict[str, object]:
    return {
        "date": "2025-03-31",
        "payee": "停车场",
        "narration": "3月地面停车费",
        "kind": "income",
        "postings": [
            {"account": chart.BANK, "amount": amount},
            {"account": chart.INCOME_PARKING, "amount": f"-{amount}"},
        ],
        "idempotency_key": key,
        **extra,
    }


def test_init_post_reverse_verify_rebuild(tmp_path: Path) -> None:
    data = tmp_path / "data"
    community(data)
    assert (
        commons(data, "init", "maple", "--name", "枫林苑", "--start", "2025-01-01")[1].count(
            "already exists"
        )
        == 1
    )

    one = tmp_path / "one.json"
    one.write_text(json.dumps(body("960.00", "k1"), ensure_ascii=False), encoding="utf-8")
    code, out = commons(data, "post", "maple", "--file", str(one), "--as", "li")
    assert code == 0 and "posted as seq 1" in out
    entry_id = out.split()[0]
    code, out = commons(data, "post", "maple", "--file", str(one), "--as", "li")
    assert code == 0 and "already posted with this idempotency key" in out

    code, out = commons(
        data, "reverse", "maple", entry_id, "--date", "2025-04-01", "--reason", "录错", "--as", "li"
    )
    assert code == 0 and "posted as seq 2" in out
    code, out = commons(data, "verify", "maple")
    assert code == 0 and "maple: OK, 2 entries" in out

    (data / "maple" / "ledger.beancount").unlink()
    code, out = commons(data, "verify", "maple")
    assert code == 1 and "projection" in out and "missing" in out
    code, out = commons(data, "rebuild", "maple")
    assert code == 0 and "up to seq 2" in out
    assert commons(data, "verify", "maple")[0] == 0


def test_jsonl_posts_all_or_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    community(data)
    lines = tmp_path / "many.jsonl"
    good = [body(f"{n}.00", f"line-{n}") for n in range(1, 4)]
    bad = body("5.00", "line-bad")
    bad["postings"][0]["account"] = "Assets:Nope"  # type: ignore[index]
    lines.write_text("\n".join(json.dumps(b, ensure_ascii=False) for b in [*good, bad]) + "\n")
    code, out = commons(data, "post", "maple", "--file", str(lines), "--as", "li")
    assert code == 1
    assert "transactions[3].postings[0].account" in out and "unknown account" in out
    assert commons(data, "verify", "maple")[1].startswith("maple: OK, 0 entries")

    lines.write_text("\n".join(json.dumps(b, ensure_ascii=False) for b in good) + "\n")
    code, out = commons(data, "post", "maple", "--file", str(lines), "--as", "li")
    assert code == 0 and out.count("posted as seq") == 3
    assert "3 transaction(s): read in" in out and "a second)" in out


def test_malformed_files_are_refused_with_line_numbers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    community(data)
    lines = tmp_path / "bad.jsonl"
    lines.write_text(
        json.dumps(body("1.00", "a")) + "\n{not json\n" + json.dumps(body("1.001", "c")) + "\n"
    )
    code, out = commons(data, "post", "maple", "--file", str(lines), "--as", "li")
    assert code == 1
    assert "bad.jsonl:2:" in out and "not valid JSON" in out
    assert "bad.jsonl:3: postings.0.amount" in out and "two decimal places" in out
    assert commons(data, "verify", "maple")[1].startswith("maple: OK, 0 entries")


def test_demo_is_created_once_and_verifies(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out = commons(data, "demo")
    assert code == 0 and "created" in out
    assert commons(data, "demo")[1].strip().endswith("already there")
    code, out = commons(data, "verify", "demo")
    assert code == 0, out


def test_unknown_community_is_a_clear_refusal(tmp_path: Path) -> None:
    code, out = commons(tmp_path / "data", "verify", "nowhere")
    assert code == 1 and "no community 'nowhere'" in out
