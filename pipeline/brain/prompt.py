"""The LLM prompt: a stable system part first (so a local model can reuse its evaluated prefix),
then the recent conversation, then this turn with the shop facts retrieved for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.brain.knowledge import Hit
from pipeline.brain.memory import MemoryItem
from pipeline.brain.tag_stream import strip_tags
from pipeline.emotion import EMOTIONS
from pipeline.turn import TurnKind

MAX_INPUT_CHARS = 500
STOP = ("Shop facts:", "商品信息：", "\nQ:")
"""A small model sometimes recites the prompt's own layout: generation stops there."""
TAGS = " ".join(f"[{e.value}]" for e in EMOTIONS)


@dataclass(frozen=True, slots=True)
class Persona:
    name: str = "Mia"
    description: str = "A warm, upbeat live-stream co-host who keeps answers short and friendly."


def system_prompt(persona: Persona, max_sentences: int, language: str = "en") -> str:
    """The fixed instructions: who the avatar is, the emotion tag, length, and the no-invention rule."""
    if language == "zh":
        return (
            f"你是{persona.name}。{persona.description}\n"
            "你正在直播，和弹幕里的观众聊天。\n"
            f"每次回复都以方括号里的情绪标签开头，只能是这些之一：{TAGS}。例如：[happy] 欢迎来到直播间！\n"
            f"用中文回复，最多{max_sentences}句，每句都要短。\n"
            "绝对不要编造价格、库存、发货时间、优惠或承诺；只能使用消息里给出的商品信息。"
            "如果信息里没有答案，就说你会确认一下。"
        )
    return (
        f"You are {persona.name}. {persona.description}\n"
        "You are hosting a live stream and chatting with viewers.\n"
        f"Start every reply with your feeling in square brackets, one of: {TAGS}. "
        "Example: [happy] Welcome to the stream!\n"
        f"Reply in English in at most {max_sentences} short sentences.\n"
        "Never make up prices, stock, delivery times, discounts or promises: use only the shop facts "
        "given with the message. If they do not answer the question, say you will check."
    )


def clean_input(text: str) -> str:
    """Viewer text as the model sees it: no emotion tags of its own, bounded length, one line."""
    return " ".join(strip_tags(text).split())[:MAX_INPUT_CHARS]


def turn_message(
    speaker: str, text: str, kind: TurnKind, hits: Sequence[Hit], language: str = "en"
) -> str:
    """The user message for this turn: the facts found for it, then who said what."""
    lines: list[str] = []
    if hits:
        lines.append("商品信息：" if language == "zh" else "Shop facts:")
        lines += [f"- {h.text}" for h in hits]
        lines.append("")
    said = clean_input(text)
    if kind is TurnKind.HOST:
        lines.append(f"主播说：{said}" if language == "zh" else f"The host says: {said}")
    else:
        lines.append(f"{speaker}说：{said}" if language == "zh" else f"{speaker} says: {said}")
    return "\n".join(lines)


def build_messages(
    system: str,
    history: Sequence[MemoryItem],
    speaker: str,
    text: str,
    kind: TurnKind,
    hits: Sequence[Hit],
    language: str = "en",
) -> list[dict[str, str]]:
    """Chat messages for an OpenAI-style chat template."""
    messages = [{"role": "system", "content": system}]
    for item in history:
        if item.role == "avatar":
            messages.append({"role": "assistant", "content": item.text})
        else:
            said = clean_input(item.text)
            content = f"{item.viewer}说：{said}" if language == "zh" else f"{item.viewer} says: {said}"
            messages.append({"role": "user", "content": content})
    messages.append({"role": "user", "content": turn_message(speaker, text, kind, hits, language)})
    return messages
