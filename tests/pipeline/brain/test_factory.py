"""From a profile's sections to a working Responder, the way the daemon wires it."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config.brain import BrainConfig
from daemon.config.emotion import EmotionConfig, EmotionRule
from pipeline.brain.factory import build_responder, make_backend
from pipeline.brain.knowledge import KnowledgeError
from pipeline.emotion import Emotion
from pipeline.turn import Turn, TurnKind
from tests.pipeline.brain.conftest import SHOP_ZH


def test_profile_sections_build_a_chinese_shop_brain(embedder, llama, tmp_path: Path) -> None:
    brain = BrainConfig.model_validate(
        {"knowledge": str(SHOP_ZH), "gift_cooldown_s": 60, "idle_script": ["新来的宝宝点点关注！"], "memory_turns": 2}
    )
    emotion = EmotionConfig(rules=[EmotionRule(name="售后关切", viewer=[Emotion.ANGRY], show=Emotion.CONCERNED)])
    options = brain.backend_options()
    assert options["kind"] == "llama_cpp" and options["threads"] == 1
    responder = build_responder(
        brain.settings("zh", "小美", "热情的带货主播"),
        llama,
        policy=emotion.build_policy(),
        knowledge_path=brain.knowledge,
        templates=brain.event_templates("zh"),
        idle_script=brain.idle_script,
        idle_after_s=brain.idle_after_s,
        embedder=embedder,
        cache_dir=tmp_path,
    )
    assert responder.memory.turns == 2
    assert "小美" in responder._system
    faq = list(responder.respond_sync(Turn("小王", "douyin", "包邮吗", TurnKind.QUESTION)))
    assert faq and faq[0].source == "faq" and faq[0].text.startswith("全国包邮")
    gift = list(responder.respond_sync(Turn("小王", "douyin", "小心心", TurnKind.GIFT)))
    assert gift and "小王" in gift[0].text and "小心心" in gift[0].text
    assert list(responder.respond_sync(Turn("小王", "douyin", "小心心", TurnKind.GIFT))) == []
    assert responder.policy.rules[0].name == "售后关切"


def test_a_bad_knowledge_file_fails_at_build(embedder, llama, tmp_path: Path) -> None:
    bad = tmp_path / "k.toml"
    bad.write_text('[[products]]\nname = "x"\nprice = -1\n', encoding="utf-8")
    brain = BrainConfig.model_validate({"knowledge": str(bad)})
    with pytest.raises(KnowledgeError, match=r"products\[0\]\.price"):
        build_responder(brain.settings("en", "Mia", "host"), llama, knowledge_path=brain.knowledge, embedder=embedder)


def test_openai_backend_options() -> None:
    brain = BrainConfig.model_validate(
        {"backend": "openai", "url": "http://127.0.0.1:8000/v1", "model": "qwen", "server_grammar": True}
    )
    backend = make_backend(**brain.backend_options())
    assert backend.name == "openai" and backend.constraint == "grammar"
    assert backend.url == "http://127.0.0.1:8000/v1/chat/completions"
    backend.close()
