"""Numbers and commercial claims in replies must come from the retrieved knowledge."""

from __future__ import annotations

import pytest

from pipeline.brain.guard import Allowed, check_claims, numbers_in, topics_in


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("It is $29.90, only 1,200 left", {"29.9", "1200"}),
        ("九块九包邮", {"9.9"}),
        ("库存三十件，一百二十元", {"30", "120"}),
        ("两万单", {"20000"}),
        ("稍等一下，两个人", set()),
        ("no numbers here", set()),
    ],
)
def test_numbers(text: str, numbers: set[str]) -> None:
    assert numbers_in(text) == numbers


def test_topics() -> None:
    assert topics_in("Free shipping on every order!") == {"shipping"}
    assert topics_in("It's in stock and costs $5") == {"stock", "price"}
    assert topics_in("全国包邮，支持七天无理由退货") == {"shipping", "refund"}
    assert topics_in("a relationship advice stream") == set()
    assert topics_in("可以折叠") == set()


KNOWN = Allowed.from_texts(["Silk scarf; price $29.90; 12 in stock; link 1"], question="is size 38 ok?")


@pytest.mark.parametrize(
    ("sentence", "ok"),
    [
        ("The scarf is $29.90.", True),
        ("We still have 12 in stock!", True),
        ("Size 38 fits most people.", True),
        ("It looks lovely on you.", True),
        ("It's only $19.99 today!", False),
        ("Only 5 left, hurry!", False),
        ("Shipping is free for you.", False),
        ("I promise you a full refund.", False),
        ("今天半价！", False),
        ("只要九块九", False),
    ],
)
def test_claims(sentence: str, ok: bool) -> None:
    verdict = check_claims(sentence, KNOWN)
    assert verdict.ok is ok
    if not ok:
        assert "not in the knowledge" in verdict.reason


def test_nothing_retrieved_means_no_numbers_at_all() -> None:
    empty = Allowed.from_texts([])
    assert not check_claims("It costs 10 dollars.", empty).ok
    assert not check_claims("这个卖五十元", empty).ok
    assert check_claims("Thanks for asking!", empty).ok
