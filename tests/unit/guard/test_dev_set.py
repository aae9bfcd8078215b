"""The shared dev set as a recall / false-positive regression test."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from crossdesk.guard import Guard, load_lexicon, read_phrases

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"


@pytest.fixture(scope="module")
def outcome() -> dict[str, list[int]]:
    guard = Guard(
        [load_lexicon(DATA / "guard-dictionary.txt", name="dict")],
        allow=read_phrases(DATA / "guard-allow.txt"),
    )
    by: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for line in (DATA / "guard-dev.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        got = {h.term for h in guard.scan(row["text"]).hits}
        if row["expected"]:
            ok = int(set(row["expected"]) <= got)
            for key in ("all", row["difficulty"], f"lang:{row['lang']}"):
                by[key][0] += ok
                by[key][1] += 1
        else:
            kind = "clean" if row["trap"] in (None, "none") else "trap"
            by[kind][0] += int(bool(got))
            by[kind][1] += 1
    return dict(by)


def rate(pair: list[int]) -> float:
    return pair[0] / pair[1]


def test_dev_set_is_present() -> None:
    assert (DATA / "guard-dev.jsonl").is_file()


def test_recall_by_difficulty(outcome: dict[str, list[int]]) -> None:
    assert rate(outcome["all"]) >= 0.95
    assert rate(outcome["easy"]) >= 0.99
    assert rate(outcome["medium"]) >= 0.95
    assert rate(outcome["hard"]) >= 0.70


def test_recall_by_language(outcome: dict[str, list[int]]) -> None:
    langs = {k: rate(v) for k, v in outcome.items() if k.startswith("lang:")}
    assert langs
    assert min(langs.values()) >= 0.90, langs


def test_false_positives(outcome: dict[str, list[int]]) -> None:
    assert outcome["clean"][0] == 0
    assert rate(outcome["trap"]) <= 0.05
