"""End-of-turn detection on probability sequences (pure logic, exact sample counts)."""

from __future__ import annotations

import math

from pipeline.listen.turns import TurnDetector, TurnEventKind

W = 512  # samples per window = 32 ms


def run(det: TurnDetector, probs: list[float]) -> list[tuple[TurnEventKind, int]]:
    out = []
    for i, p in enumerate(probs):
        for ev in det.push(p):
            out.append((ev.kind, i))
    return out


def windows(ms: float) -> int:
    return round(ms / 32)


def test_turn_starts_after_min_speech_and_ends_after_silence() -> None:
    det = TurnDetector(min_speech_ms=256, end_of_turn_ms=416)
    probs = [0.0] * 10 + [0.9] * windows(1000) + [0.05] * windows(800)
    events = run(det, probs)
    kinds = [k for k, _ in events]
    assert kinds == [TurnEventKind.START, TurnEventKind.SILENCE, TurnEventKind.END]
    start_i, silence_i, end_i = (i for _, i in events)
    assert start_i == 10 + windows(256) - 1  # 8 voiced windows = 256 ms
    assert silence_i == 10 + windows(1000)  # first silent window
    assert end_i - silence_i == windows(416) - 1  # 13 silent windows = 416 ms


def test_short_sound_is_discarded() -> None:
    det = TurnDetector(min_speech_ms=256, end_of_turn_ms=320)
    events = run(det, [0.9] * 4 + [0.0] * 20)
    assert [k for k, _ in events] == [TurnEventKind.DISCARDED]


def test_pause_shorter_than_end_of_turn_resumes() -> None:
    det = TurnDetector(min_speech_ms=128, end_of_turn_ms=480)
    probs = [0.9] * 20 + [0.1] * windows(300) + [0.9] * 20 + [0.0] * 20
    kinds = [k for k, _ in run(det, probs)]
    assert kinds == [
        TurnEventKind.START, TurnEventKind.SILENCE, TurnEventKind.RESUMED, TurnEventKind.SILENCE, TurnEventKind.END
    ]  # fmt: skip


def test_hysteresis_keeps_soft_word_endings_in_the_turn() -> None:
    det = TurnDetector(threshold=0.5, neg_threshold=0.35, min_speech_ms=64, end_of_turn_ms=320)
    probs = [0.9] * 10 + [0.4] * 30 + [0.0] * 12
    events = run(det, probs)
    silence = [i for k, i in events if k == TurnEventKind.SILENCE]
    assert silence == [40]  # 0.4 is above the lower threshold: still speech


def test_long_turn_is_cut_at_max_length() -> None:
    det = TurnDetector(min_speech_ms=64, end_of_turn_ms=320, max_turn_s=2.0)
    events = run(det, [0.9] * 100)
    ends = [i for k, i in events if k == TurnEventKind.END]
    assert ends and ends[0] == math.ceil(2.0 * 16000 / W) - 1  # first window reaching 2 s


def test_event_samples_bound_the_speech() -> None:
    det = TurnDetector(min_speech_ms=64, end_of_turn_ms=320)
    evs = []
    for p in [0.0] * 5 + [0.9] * 10 + [0.0] * 15:
        evs += det.push(p)
    end = next(e for e in evs if e.kind == TurnEventKind.END)
    assert end.start == 5 * W and end.end == 15 * W
