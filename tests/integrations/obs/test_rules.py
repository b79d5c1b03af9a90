"""Mapping rules: which daemon events fire which OBS operations, and how the profile validates them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from daemon.cli import PROFILES_DIR
from daemon.config.profile import ProfileError, validate_profile
from integrations.obs.bridge import OBSBridge
from integrations.obs.client import OBSClient
from integrations.obs.protocol import auth_response
from integrations.obs.rules import Rule, op_for, subtitle_op

FACE = '[face]\nportrait = "assets/astronaut.png"\n'


def load(text: str):  # type: ignore[no-untyped-def]
    return validate_profile(tomllib.loads(FACE + text), PROFILES_DIR / "test.toml")


def test_auth_response_follows_the_two_step_sha256_scheme() -> None:
    import base64
    import hashlib

    secret = base64.b64encode(hashlib.sha256(b"pw" + b"salt").digest())
    expected = base64.b64encode(hashlib.sha256(secret + b"challenge").digest()).decode()
    assert auth_response("pw", "salt", "challenge") == expected
    assert auth_response("pw", "salt", "challenge") != auth_response("pw", "salt", "other")


def test_rule_matching() -> None:
    start = Rule("speech.start", "scene", scene="Talk")
    end = Rule("speech.end", "scene", scene="Idle")
    happy = Rule("emotion:happy", "show", source="Badge", min_intensity=0.5)
    assert start.matches("speech.start", {"id": "u1"})
    assert not start.matches("speech.end", {"id": "u1"})
    assert end.matches("speech.end", {}) and end.matches("speech.interrupted", {})
    assert not Rule("speech.interrupted", "scene", scene="X").matches("speech.end", {})
    assert happy.matches("emotion", {"emotion": "happy", "intensity": 0.7})
    assert not happy.matches("emotion", {"emotion": "happy", "intensity": 0.2})
    assert not happy.matches("emotion", {"emotion": "sad", "intensity": 0.9})
    assert not happy.matches("subtitle", {"text": "happy"})


def test_ops_coalesce_by_what_they_change() -> None:
    assert op_for(Rule("speech.start", "scene", scene="A")).key == op_for(Rule("speech.end", "scene", scene="B")).key
    show = op_for(Rule("speech.start", "show", scene="S", source="X"))
    hide = op_for(Rule("speech.end", "hide", scene="S", source="X"))
    assert show.key == hide.key and show.args["enabled"] and not hide.args["enabled"]
    media = [op_for(Rule("speech.start", "media", source="J", media_action="restart")) for _ in range(2)]
    assert media[0].key != media[1].key and not media[0].state  # triggers never merge
    assert subtitle_op("Subs", "a").key == subtitle_op("Subs", "b").key


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"event": "speech.start", "action": "scene"}, "needs `scene`"),
        ({"event": "speech.start", "action": "show"}, "needs `source`"),
        ({"event": "speech.start", "action": "media", "source": "J"}, "media_action"),
        ({"event": "speech.begin", "action": "virtualcam"}, "unknown event"),
        ({"event": "speech.start", "action": "dance"}, "unknown action"),
    ],
)
def test_bad_rules_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Rule(**kwargs)


def test_profile_rules_validate_and_build_a_bridge() -> None:
    profile = load(
        """
[obs]
enabled = true
password_env = "OBS_PASSWORD"
subtitle_source = "Subs"
speaking_scene = "Talk"
idle_scene = "Idle"
queue = 16
[[obs.on]]
event = "emotion:happy"
action = "show"
scene = "Talk"
source = "Badge"
min_intensity = 0.6
[[obs.on]]
event = "speech.start"
action = "media"
source = "Jingle"
media_action = "restart"
[[obs.on]]
event = "connected"
action = "virtualcam"
"""
    )
    rules = profile.obs.rules()
    assert [(r.event, r.action) for r in rules] == [
        ("speech.start", "scene"), ("speech.end", "scene"), ("emotion:happy", "show"),
        ("speech.start", "media"), ("connected", "virtualcam"),
    ]
    from integrations.obs.bridge import bridge_from_config

    bridge = bridge_from_config(profile.obs, password=None)
    assert isinstance(bridge, OBSBridge) and isinstance(bridge.client, OBSClient)
    assert bridge.queue_size == 16 and bridge.subtitle_source == "Subs"
    assert bridge.handle("speech.start", {"id": "u"}) == 2  # scene + media, queued without OBS
    assert bridge.handle("emotion", {"emotion": "happy", "intensity": 0.9}) == 1
    assert bridge.handle("emotion", {"emotion": "happy", "intensity": 0.1}) == 0
    assert bridge.handle("subtitle", {"text": "hi", "id": "u"}) == 1


@pytest.mark.parametrize(
    ("text", "where", "why"),
    [
        ('[[obs.on]]\nevent = "emotion:joy"\naction = "scene"\nscene = "X"', "obs.on[0].event", "unknown event"),
        ('[[obs.on]]\nevent = "speech.start"\naction = "scene"', "obs.on[0]", "needs `scene`"),
        ('[[obs.on]]\nevent = "speech.start"\naction = "scene"\nscene = "X"\nsource = "Y"', "obs.on[0]", "no meaning"),
        ('[[obs.on]]\nevent = "speech.end"\naction = "virtualcam"\nmin_intensity = 0.5', "obs.on[0]", "emotion"),
        ('[[obs.on]]\nevent = "speech.end"\naction = "media"\nsource = "J"\nmedia_action = "rewind"',
         "obs.on[0].media_action", "Input should be"),
        ('[[obs.on]]\nevent = "speech.end"\naction = "virtualcam"\ncolour = 1', "obs.on[0].colour", "unknown key"),
        ("[obs]\nreconnect_min_s = 5.0\nreconnect_max_s = 1.0", "obs", "reconnect_max_s"),
        ("[obs]\nrequest_timeout_s = 0", "obs.request_timeout_s", "greater than or equal"),
        ('[obs]\npassword_env = "NOT A NAME"', "obs.password_env", "pattern"),
    ],
)
def test_bad_obs_sections_name_the_field(text: str, where: str, why: str) -> None:
    with pytest.raises(ProfileError) as info:
        load(text)
    assert any(w == where and why in reason for w, reason in info.value.problems), info.value.problems


def test_every_obs_field_is_documented() -> None:
    from daemon.config.obs import OBSConfig, OBSRule

    for model in (OBSConfig, OBSRule):
        for name, field in model.model_fields.items():
            assert field.title and field.description, f"{model.__name__}.{name}"


def test_no_obs_section_means_no_rules(tmp_path: Path) -> None:
    assert load("").obs.rules() == []
