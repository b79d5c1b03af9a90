"""Conversation memory (trimmed to what was heard), the answer cache, and live-commerce habits."""

from __future__ import annotations

from pipeline.brain.cache import AnswerCache, normalise
from pipeline.brain.commerce import DEFAULT_EVENT_LINES, EventResponder, EventTemplates, IdleScript
from pipeline.brain.memory import ConversationMemory
from pipeline.turn import Turn, TurnKind


class Clock:
    """A clock the test moves by hand (cool-downs of minutes cannot be waited for)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_memory_keeps_recent_turns_per_viewer_and_stream() -> None:
    memory = ConversationMemory(turns=2, stream_items=3)
    for i in range(4):
        memory.add_viewer("ann", f"question {i}")
        memory.add_reply(f"r{i}", "ann", f"answer {i}")
    memory.add_viewer("bob", "hello")
    assert [m.text for m in memory.for_viewer("ann")] == ["question 2", "answer 2", "question 3", "answer 3"]
    assert [m.text for m in memory.stream()] == ["question 3", "answer 3", "hello"]
    assert memory.for_viewer("nobody") == []


def test_reply_sentences_accumulate_and_commit_spoken_trims() -> None:
    memory = ConversationMemory()
    memory.add_viewer("ann", "tell me about the scarf")
    memory.add_reply("r1", "ann", "It is silk.")
    memory.add_reply("r1", "ann", "It comes in blue.")
    memory.add_reply("r1", "ann", "And rose.")
    assert memory.reply_text("r1") == "It is silk. It comes in blue. And rose."
    assert memory.commit_spoken("r1", "It is silk. It comes")
    assert memory.for_viewer("ann")[-1].text == "It is silk. It comes"
    assert memory.commit_spoken("r1", "")
    assert [m.role for m in memory.for_viewer("ann")] == ["viewer"]
    assert [m.role for m in memory.stream()] == ["viewer"]
    assert not memory.commit_spoken("r1", "anything")
    assert not memory.commit_spoken("unknown", "x")


def test_chinese_reply_sentences_join_without_spaces() -> None:
    memory = ConversationMemory()
    memory.add_reply("r1", "ann", "你好！")
    memory.add_reply("r1", "ann", "欢迎。")
    assert memory.reply_text("r1") == "你好！欢迎。"


def test_cache_normalises_and_expires() -> None:
    clock = Clock()
    cache: AnswerCache[str] = AnswerCache(ttl=60, clock=clock)
    cache.put("How much is the SCARF?", "29.90")
    assert cache.get("how much is the scarf") == "29.90"
    assert cache.get("  How much is the scarf?!! 😍") == "29.90"
    assert cache.get("how much is the mug") is None
    clock.now += 61
    assert cache.get("how much is the scarf") is None
    assert normalise("这个多少钱？") == normalise("这个 多少钱") == "这个多少钱"
    assert normalise("ＡＢＣ") == "abc"


def test_cache_is_bounded_and_off_at_zero() -> None:
    cache: AnswerCache[int] = AnswerCache(ttl=60, size=2)
    for i in range(3):
        cache.put(f"q{i}", i)
    assert len(cache) == 2 and cache.get("q0") is None
    off: AnswerCache[int] = AnswerCache(ttl=0)
    off.put("q", 1)
    assert off.get("q") is None


def turn(kind: TurnKind, viewer: str = "ann", text: str = "") -> Turn:
    return Turn(viewer=viewer, platform="test", text=text, kind=kind)


def test_event_lines_fill_in_and_respect_per_viewer_cooldowns() -> None:
    clock = Clock()
    templates = EventTemplates(
        join=("Welcome, {viewer}!",),
        gift=("Thanks for the {gift}, {viewer}! {unknown}",),
        cooldown_s={TurnKind.JOIN: 600, TurnKind.GIFT: 30},
    )
    events = EventResponder(templates, clock=clock)
    assert events.line_for(turn(TurnKind.JOIN))[0] == "Welcome, ann!"
    line, why = events.line_for(turn(TurnKind.JOIN))
    assert line is None and "cool-down" in why
    assert events.line_for(turn(TurnKind.JOIN, "bob"))[0] == "Welcome, bob!"
    assert events.line_for(turn(TurnKind.GIFT, text="rose x3"))[0] == "Thanks for the rose x3, ann!"
    clock.now += 31
    assert events.line_for(turn(TurnKind.GIFT, text="rose"))[0] is not None
    assert events.line_for(turn(TurnKind.JOIN))[0] is None
    clock.now += 600
    assert events.line_for(turn(TurnKind.JOIN))[0] == "Welcome, ann!"
    assert events.line_for(turn(TurnKind.FOLLOW))[0] is None


def test_join_floods_are_not_read_out() -> None:
    clock = Clock()
    events = EventResponder(EventTemplates(join=("Hi {viewer}",), min_gap_s={TurnKind.JOIN: 8}), clock=clock)
    said = []
    for i in range(20):
        said.append(events.line_for(turn(TurnKind.JOIN, f"v{i}"))[0])
        clock.now += 1
    assert [s for s in said if s] == ["Hi v0", "Hi v8", "Hi v16"]


def test_builtin_lines_exist_in_both_languages() -> None:
    for language in ("en", "zh"):
        lines = DEFAULT_EVENT_LINES[language]
        assert lines.join and lines.follow and lines.gift
        assert all("{viewer}" in t for t in lines.join + lines.follow + lines.gift)


def test_idle_script_loops_while_quiet() -> None:
    clock = Clock()
    script = IdleScript(["line one", "  ", "line two"], idle_after_s=20, clock=clock)
    assert script.next_line() is None
    assert script.seconds_until_due() == 20
    clock.now += 20
    assert script.next_line() == "line one"
    assert script.next_line() is None
    clock.now += 15
    script.note_activity()
    clock.now += 15
    assert script.next_line() is None
    clock.now += 5
    assert script.next_line() == "line two"
    clock.now += 20
    assert script.next_line() == "line one"
    assert IdleScript([], 5, clock=clock).seconds_until_due() is None
