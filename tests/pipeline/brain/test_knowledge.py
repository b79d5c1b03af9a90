"""Knowledge files, retrieval with the real embedder, direct FAQ/product answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.brain.answers import answer_directly, check_line
from pipeline.brain.knowledge import (
    FAQ,
    KnowledgeError,
    KnowledgeIndex,
    Product,
    format_price,
    load_knowledge,
    parse_knowledge,
    product_text,
)
from pipeline.emotion import Emotion
from tests.pipeline.brain.conftest import SHOP_EN, SHOP_ZH


def test_example_files_load() -> None:
    en = load_knowledge(SHOP_EN)
    zh = load_knowledge(SHOP_ZH)
    assert len(en.products) >= 3 and len(en.faq) >= 3 and en.facts
    assert zh.currency == "CNY" and zh.products[0].currency == "CNY"
    assert any(p.stock == 0 for p in en.products)
    assert any(f.emotion is Emotion.HAPPY for f in en.faq)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"products": [{"name": "x", "price": "cheap"}]}, "products[0].price"),
        ({"products": [{"name": "x", "price": 3, "stock": -1}]}, "products[0].stock"),
        ({"products": [{"name": "", "price": 3}]}, "products[0].name"),
        ({"products": [{"name": "x", "price": 3, "colour": "red"}]}, "products[0]: unknown key"),
        ({"faq": [{"q": "a?"}]}, "faq[0].a"),
        ({"faq": [{"q": "a?", "a": "b", "emotion": "jolly"}]}, "faq[0].emotion"),
        ({"persona": {"facts": [""]}}, "persona.facts[0]"),
        ({"shipping": 1}, "unknown key"),
    ],
)
def test_bad_entries_are_named(data: dict, where: str) -> None:
    with pytest.raises(KnowledgeError, match=where.replace("[", r"\[").replace("]", r"\]")):
        parse_knowledge(data, "shop.toml")


def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "k.toml"
    bad.write_text("products = [", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"k\.toml"):
        load_knowledge(bad)


def test_price_formatting() -> None:
    assert format_price(29.9, "USD") == "$29.90"
    assert format_price(14, "EUR") == "€14"
    assert format_price(59, "CNY", "zh") == "59元"
    assert format_price(5, "CHF") == "5 CHF"
    text = product_text(Product("Mug", 14, "USD", 40, "350 ml", ("cup",), "2"), "en")
    assert "$14" in text and "40 in stock" in text and "link 2" in text and "cup" in text


def test_search_finds_the_product_asked_about(shop_en: KnowledgeIndex, shop_zh: KnowledgeIndex) -> None:
    hits = shop_en.search("is the mug safe in the dishwasher?")
    assert hits and isinstance(hits[0].entry, Product) and hits[0].entry.name == "Ceramic mug"
    zh_hits = shop_zh.search("洗面奶适合油皮吗")
    assert zh_hits and zh_hits[0].entry.name == "氨基酸洗面奶"
    cross = shop_zh.search("is the face mask good for dry skin?")
    assert "玻尿酸补水面膜" in {h.entry.name for h in cross if isinstance(h.entry, Product)}


def test_search_finds_faq_and_facts(shop_en: KnowledgeIndex) -> None:
    kinds = {h.kind for h in shop_en.search("where are you streaming from?", k=3)}
    assert "fact" in kinds
    refund = shop_en.search("can I get my money back if I don't like it?")
    assert refund and refund[0].kind == "faq" and "refund" in refund[0].text


def test_faq_match_needs_the_same_question(shop_en: KnowledgeIndex, shop_zh: KnowledgeIndex) -> None:
    hit = shop_en.faq_match("do you ship overseas?")
    assert hit is not None and isinstance(hit.entry, FAQ) and "ship" in hit.entry.q
    zh = shop_zh.faq_match("能退货吗")
    assert zh is not None and "退货" in zh.entry.q
    assert shop_en.faq_match("what is your favourite film?") is None
    assert shop_en.faq_match("how much is the silk scarf?") is None


def test_products_named(shop_en: KnowledgeIndex, shop_zh: KnowledgeIndex) -> None:
    assert [p.name for p in shop_en.products_named("Is the SCARF soft?")] == ["Silk scarf"]
    assert shop_en.products_named("a scarfed thing") == []
    assert [p.name for p in shop_zh.products_named("防晒还有吗")] == ["防晒喷雾"]


def test_direct_answers_read_prices_and_stock_from_the_knowledge(shop_en, shop_zh) -> None:
    price = answer_directly(shop_en, "how much is the silk scarf?")
    assert price is not None and price.text == "The Silk scarf is $29.90."
    stock = answer_directly(shop_en, "is the tote bag still in stock?")
    assert stock is not None and "sold out" in stock.text and stock.emotion.emotion is Emotion.SAD
    zh = answer_directly(shop_zh, "面膜多少钱", "zh")
    assert zh is not None and zh.text == "玻尿酸补水面膜现在是59元。"
    faq = answer_directly(shop_zh, "包邮吗？", "zh")
    assert faq is not None and faq.text.startswith("全国包邮") and faq.emotion.emotion is Emotion.HAPPY
    assert answer_directly(shop_en, "how much is the golden necklace?") is None
    assert answer_directly(shop_en, "I love your hair today") is None


def test_check_lines() -> None:
    assert check_line("en") != check_line("zh")
    assert check_line("zh", "我问一下仓库。") == "我问一下仓库。"
