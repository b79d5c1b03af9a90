"""Answers that need no LLM: an FAQ entry that matches the question, or a product's price and stock
read straight from the knowledge. Also the "I'll check" line used when nothing backs a claim.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.brain.guard import topics_in
from pipeline.brain.knowledge import FAQ, Hit, KnowledgeIndex, Product, format_price
from pipeline.emotion import Emotion, EmotionState

CHECK_LINES = {
    "en": "Let me check that for you and get back to you.",
    "zh": "这个我确认一下，稍后告诉你哦。",
}


def check_line(language: str, custom: str | None = None) -> str:
    """What the avatar says instead of a claim it cannot back."""
    return custom or CHECK_LINES.get(language, CHECK_LINES["en"])


@dataclass(frozen=True, slots=True)
class DirectAnswer:
    text: str
    emotion: EmotionState | None
    hit: Hit
    why: str


def answer_directly(
    index: KnowledgeIndex, question: str, language: str = "en", faq_threshold: float = 0.92
) -> DirectAnswer | None:
    """An answer taken from the knowledge as it is, or None when the LLM must answer."""
    hit = index.faq_match(question, threshold=faq_threshold)
    if hit is not None and isinstance(hit.entry, FAQ):
        feel = EmotionState(hit.entry.emotion, 0.5) if hit.entry.emotion else None
        return DirectAnswer(hit.entry.a, feel, hit, f"faq match {hit.score:.3f}: {hit.entry.q!r}")
    wants = topics_in(question) & {"price", "stock"}
    named = index.products_named(question)
    if not wants or len(named) != 1:
        return None
    product = named[0]
    text, feel = _product_answer(product, wants, language)
    if not text:
        return None
    return DirectAnswer(text, feel, Hit("product", product, 1.0, text), f"{'/'.join(sorted(wants))} of {product.name}")


def _product_answer(product: Product, wants: set[str], language: str) -> tuple[str, EmotionState]:
    price = format_price(product.price, product.currency, language)
    sold_out = product.stock == 0
    say_stock = ("stock" in wants or sold_out) and product.stock is not None
    if language == "zh":
        text = f"{product.name}现在是{price}。" if "price" in wants else ""
        if say_stock:
            text += f"{product.name}已经卖完了。" if sold_out else f"{product.name}还有{product.stock}件。"
    else:
        parts = [f"The {product.name} is {price}."] if "price" in wants else []
        if say_stock:
            parts.append(
                f"The {product.name} is sold out right now." if sold_out
                else f"We have {product.stock} of the {product.name} left."
            )
        text = " ".join(parts)
    feel = EmotionState(Emotion.SAD, 0.4) if sold_out else EmotionState(Emotion.HAPPY, 0.4)
    return text, feel
