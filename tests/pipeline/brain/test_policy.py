"""Every emotion-policy rule, smoothing between sentences, and the explanations."""

from __future__ import annotations

import pytest

from daemon.config.emotion import EmotionConfig, EmotionRule
from pipeline.brain.policy import DEFAULT_RULES, EmotionPolicy, PolicyRule
from pipeline.emotion import Emotion, EmotionState

E = Emotion


def s(emotion: Emotion, intensity: float = 0.7) -> EmotionState:
    return EmotionState(emotion, 0.0 if emotion is E.NEUTRAL else intensity)


@pytest.mark.parametrize(
    ("viewer", "reply", "reads", "rule", "shown"),
    [
        (E.ANGRY, E.CONCERNED, None, "calm_care_for_anger", E.CONCERNED),
        (E.ANGRY, E.SAD, None, "calm_care_for_anger", E.CONCERNED),
        (E.ANGRY, E.HAPPY, None, "calm_for_anger", E.NEUTRAL),
        (E.ANGRY, E.ANGRY, None, "calm_for_anger", E.NEUTRAL),
        (E.DISGUSTED, E.HAPPY, None, "no_joy_at_complaint", E.CONCERNED),
        (E.SAD, E.HAPPY, None, "care_for_upset", E.CONCERNED),
        (E.FEARFUL, E.SURPRISED, None, "care_for_upset", E.CONCERNED),
        (E.NEUTRAL, E.HAPPY, E.SAD, "no_joy_at_bad_news", E.CONCERNED),
        (E.HAPPY, E.SURPRISED, E.ANGRY, "no_joy_at_bad_news", E.CONCERNED),
        (E.NEUTRAL, E.ANGRY, None, "never_angry_on_air", E.NEUTRAL),
        (E.HAPPY, E.HAPPY, E.HAPPY, None, E.HAPPY),
        (E.NEUTRAL, E.SURPRISED, None, None, E.SURPRISED),
        (E.CONCERNED, E.HAPPY, None, None, E.HAPPY),
    ],
)
def test_default_rules(viewer, reply, reads, rule, shown) -> None:
    policy = EmotionPolicy()
    decision = policy.decide(s(viewer), s(reply), s(reads) if reads else None)
    assert decision.rule == rule
    assert decision.shown.emotion is shown
    assert decision.viewer == s(viewer) and decision.reply == s(reply)
    if rule:
        assert rule in decision.reason


def test_every_default_rule_is_covered() -> None:
    covered = {"calm_care_for_anger", "calm_for_anger", "no_joy_at_complaint", "care_for_upset",
               "no_joy_at_bad_news", "never_angry_on_air"}
    assert {r.name for r in DEFAULT_RULES} == covered


def test_never_happy_at_a_complaint_or_bad_news_whatever_the_reply() -> None:
    for viewer in (E.ANGRY, E.SAD, E.FEARFUL, E.DISGUSTED):
        for reply in Emotion:
            shown = EmotionPolicy().decide(s(viewer), s(reply)).shown.emotion
            assert shown in (E.NEUTRAL, E.CONCERNED), (viewer, reply, shown)
    for bad in (E.SAD, E.ANGRY, E.FEARFUL, E.DISGUSTED):
        assert EmotionPolicy().decide(s(E.NEUTRAL), s(E.HAPPY), s(bad)).shown.emotion is not E.HAPPY


def test_profile_rules_come_first_and_are_explained() -> None:
    mine = PolicyRule("mirror_joy", E.SURPRISED, viewer=frozenset({E.SAD}), why="house style")
    decision = EmotionPolicy([mine]).decide(s(E.SAD), s(E.HAPPY))
    assert decision.rule == "mirror_joy" and decision.shown.emotion is E.SURPRISED
    assert "house style" in decision.reason


def test_config_rules_become_policy_rules() -> None:
    config = EmotionConfig(
        rules=[EmotionRule(name="calm_sale", viewer=[E.HAPPY], reads=[E.SURPRISED], show=E.HAPPY, intensity=0.3)],
        max_intensity=0.5,
        intensity_step=0.2,
    )
    policy = config.build_policy()
    assert policy.rules[0] == PolicyRule(
        "calm_sale", E.HAPPY, frozenset({E.HAPPY}), frozenset(), frozenset({E.SURPRISED}), 0.3, "profile rule"
    )
    assert policy.rules[1:] == DEFAULT_RULES
    assert policy.max_intensity == 0.5 and policy.step == 0.2
    assert policy.decide(s(E.HAPPY), s(E.HAPPY), s(E.SURPRISED)).rule == "calm_sale"


def test_intensity_is_capped_and_neutral_has_none() -> None:
    policy = EmotionPolicy(max_intensity=0.4)
    assert policy.decide(s(E.NEUTRAL), s(E.HAPPY, 1.0)).shown == EmotionState(E.HAPPY, 0.4)
    assert EmotionPolicy().decide(s(E.ANGRY), s(E.HAPPY, 1.0)).shown == EmotionState(E.NEUTRAL, 0.0)


def test_intensity_ramps_between_sentences() -> None:
    policy = EmotionPolicy(step=0.3)
    first = policy.decide(s(E.NEUTRAL), s(E.HAPPY, 1.0), new_reply=True).shown
    second = policy.decide(s(E.NEUTRAL), s(E.HAPPY, 1.0)).shown
    third = policy.decide(s(E.NEUTRAL), s(E.HAPPY, 1.0)).shown
    assert first.intensity < second.intensity < third.intensity == 1.0
    assert second.intensity - first.intensity <= 0.3 + 1e-9
    down = policy.decide(s(E.NEUTRAL), s(E.HAPPY, 0.2)).shown
    assert down.intensity == pytest.approx(0.7)


def test_weak_change_within_a_reply_is_not_followed() -> None:
    policy = EmotionPolicy(switch_min=0.3)
    policy.decide(s(E.NEUTRAL), s(E.HAPPY, 0.6), new_reply=True)
    held = policy.decide(s(E.NEUTRAL), s(E.SURPRISED, 0.2))
    assert held.shown.emotion is E.HAPPY
    assert "too weak" in held.reason


def test_no_flip_flop() -> None:
    policy = EmotionPolicy(hold_sentences=2)
    policy.decide(s(E.NEUTRAL), s(E.HAPPY), new_reply=True)
    assert policy.decide(s(E.NEUTRAL), s(E.SURPRISED)).shown.emotion is E.SURPRISED
    back = policy.decide(s(E.NEUTRAL), s(E.HAPPY))
    assert back.shown.emotion is E.SURPRISED and "no flip back" in back.reason
    assert policy.decide(s(E.NEUTRAL), s(E.HAPPY)).shown.emotion is E.HAPPY


def test_safety_rules_switch_at_once() -> None:
    policy = EmotionPolicy(hold_sentences=5, switch_min=0.9)
    policy.decide(s(E.NEUTRAL), s(E.HAPPY, 0.9), new_reply=True)
    bad_news = policy.decide(s(E.NEUTRAL), s(E.HAPPY), s(E.SAD))
    assert bad_news.shown.emotion is E.CONCERNED and bad_news.rule == "no_joy_at_bad_news"


def test_a_new_reply_may_switch_freely() -> None:
    policy = EmotionPolicy(hold_sentences=5)
    policy.decide(s(E.NEUTRAL), s(E.HAPPY), new_reply=True)
    policy.decide(s(E.NEUTRAL), s(E.SURPRISED))
    assert policy.decide(s(E.NEUTRAL), s(E.HAPPY), new_reply=True).shown.emotion is E.HAPPY


def test_decisions_are_recorded_for_the_api() -> None:
    policy = EmotionPolicy(history=3)
    for _ in range(5):
        policy.decide(s(E.SAD), s(E.HAPPY))
    assert len(policy.recent) == 3
    data = policy.last.as_dict()
    assert data["rule"] == "care_for_upset"
    assert data["shown"]["emotion"] == "concerned"
    assert data["viewer"] == {"emotion": "sad", "intensity": 0.7}
    assert "viewer sad" in data["reason"]
    policy.reset()
    assert policy.last is None


def test_resting_face() -> None:
    assert EmotionPolicy().resting() == EmotionState()
    assert EmotionPolicy(rest=E.HAPPY, max_intensity=0.2).resting() == EmotionState(E.HAPPY, 0.2)
