"""The shop's knowledge: products (name, price, currency, stock, description), FAQ and persona facts.

Loaded from TOML, checked field by field, and indexed with the shared multilingual embedder so the
most relevant entries go into the prompt and an FAQ question can be answered without the LLM.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from pipeline.emotion import Emotion

if TYPE_CHECKING:
    from pipeline.brain.embedder import Embedder


class KnowledgeError(ValueError):
    """A knowledge file that cannot be used; the message names the file, the entry and the field."""


@dataclass(frozen=True, slots=True)
class Product:
    name: str
    price: float
    currency: str
    stock: int | None = None
    description: str = ""
    aliases: tuple[str, ...] = ()
    link: str | None = None

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class FAQ:
    q: str
    a: str
    emotion: Emotion | None = None


@dataclass(frozen=True, slots=True)
class Knowledge:
    products: tuple[Product, ...] = ()
    faq: tuple[FAQ, ...] = ()
    facts: tuple[str, ...] = ()
    currency: str = "USD"


Kind = Literal["product", "faq", "fact"]


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved entry, its similarity to the question, and the text that goes into the prompt."""

    kind: Kind
    entry: Product | FAQ | str
    score: float
    text: str


def load_knowledge(path: Path) -> Knowledge:
    """Read and check a knowledge TOML file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise KnowledgeError(f"{path}: {exc}") from None
    return parse_knowledge(data, str(path))


def parse_knowledge(data: dict[str, Any], where: str = "knowledge") -> Knowledge:
    """Build Knowledge from parsed TOML data, with exact error locations."""
    unknown = set(data) - {"currency", "products", "faq", "persona"}
    if unknown:
        raise KnowledgeError(f"{where}: unknown key(s) {sorted(unknown)}")
    currency = _text(data.get("currency", "USD"), f"{where}: currency")
    products = tuple(
        _product(item, currency, f"{where}: products[{i}]") for i, item in enumerate(data.get("products", []))
    )
    faq = tuple(_faq(item, f"{where}: faq[{i}]") for i, item in enumerate(data.get("faq", [])))
    persona = data.get("persona", {})
    if not isinstance(persona, dict) or set(persona) - {"facts"}:
        raise KnowledgeError(f"{where}: persona takes only `facts`, a list of strings")
    facts = tuple(_text(f, f"{where}: persona.facts[{i}]") for i, f in enumerate(persona.get("facts", [])))
    return Knowledge(products, faq, facts, currency)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeError(f"{where}: must be a non-empty string")
    return value.strip()


def _product(item: object, currency: str, where: str) -> Product:
    if not isinstance(item, dict):
        raise KnowledgeError(f"{where}: must be a table")
    allowed = {"name", "price", "currency", "stock", "description", "aliases", "link"}
    if set(item) - allowed:
        raise KnowledgeError(f"{where}: unknown key(s) {sorted(set(item) - allowed)}")
    price = item.get("price")
    if isinstance(price, bool) or not isinstance(price, int | float) or not math.isfinite(price) or price < 0:
        raise KnowledgeError(f"{where}.price: must be a number >= 0")
    stock = item.get("stock")
    if stock is not None and (isinstance(stock, bool) or not isinstance(stock, int) or stock < 0):
        raise KnowledgeError(f"{where}.stock: must be a whole number >= 0")
    aliases = item.get("aliases", [])
    if not isinstance(aliases, list):
        raise KnowledgeError(f"{where}.aliases: must be a list of strings")
    link = item.get("link")
    return Product(
        name=_text(item.get("name"), f"{where}.name"),
        price=float(price),
        currency=_text(item.get("currency", currency), f"{where}.currency"),
        stock=stock,
        description=str(item.get("description", "")).strip(),
        aliases=tuple(_text(a, f"{where}.aliases") for a in aliases),
        link=None if link is None else str(link),
    )


def _faq(item: object, where: str) -> FAQ:
    if not isinstance(item, dict) or set(item) - {"q", "a", "emotion"}:
        raise KnowledgeError(f"{where}: must be a table with `q`, `a` and optionally `emotion`")
    emotion = item.get("emotion")
    try:
        feel = Emotion(emotion) if emotion is not None else None
    except ValueError:
        raise KnowledgeError(f"{where}.emotion: unknown emotion {emotion!r}") from None
    return FAQ(_text(item.get("q"), f"{where}.q"), _text(item.get("a"), f"{where}.a"), feel)


def format_price(amount: float, currency: str, language: str = "en") -> str:
    """29.9 USD -> "$29.90"; 99 CNY (zh) -> "99元"."""
    text = f"{amount:.0f}" if float(amount).is_integer() else f"{amount:.2f}"
    code = currency.upper()
    if language == "zh" and code in ("CNY", "RMB"):
        return f"{text}元"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "RMB": "¥"}.get(code)
    return f"{symbol}{text}" if symbol else f"{text} {code}"


def product_text(product: Product, language: str = "en") -> str:
    """The line a product contributes to the prompt: every number the reply may use is in it."""
    price = format_price(product.price, product.currency, language)
    parts = [product.name]
    if product.aliases:
        parts[0] += f" ({', '.join(product.aliases)})"
    if language == "zh":
        parts.append(f"价格{price}")
        if product.stock is not None:
            parts.append(f"库存{product.stock}件" if product.stock else "已售罄")
        if product.link:
            parts.append(f"{product.link}号链接")
    else:
        parts.append(f"price {price}")
        if product.stock is not None:
            parts.append(f"{product.stock} in stock" if product.stock else "sold out")
        if product.link:
            parts.append(f"link {product.link}")
    if product.description:
        parts.append(product.description)
    return "; ".join(parts)


@dataclass
class KnowledgeIndex:
    """Embeds every entry once; finds what a question needs."""

    knowledge: Knowledge
    embedder: Embedder
    language: str = "en"
    _docs: list[Hit] = field(default_factory=list, init=False)
    _doc_vecs: np.ndarray = field(init=False)
    _faq_vecs: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        k = self.knowledge
        self._docs = [Hit("product", p, 0.0, product_text(p, self.language)) for p in k.products]
        self._docs += [Hit("faq", f, 0.0, f"{f.q} {f.a}") for f in k.faq]
        self._docs += [Hit("fact", f, 0.0, f) for f in k.facts]
        self._doc_vecs = self.embedder.passages([d.text for d in self._docs])
        self._faq_vecs = self.embedder.queries([f.q for f in k.faq])

    def search(self, question: str, k: int = 3, min_score: float = 0.81, spread: float = 0.05) -> list[Hit]:
        """The entries most related to ``question``: top ``k`` above ``min_score``, close to the best.

        A product named in the question (name or alias) is always included.
        """
        if not self._docs or not question.strip():
            return []
        scores = self._doc_vecs @ self.embedder.query(question)
        named = {id(p) for p in self.products_named(question)}
        boosted = [float(s) + (0.1 if id(d.entry) in named else 0.0) for s, d in zip(scores, self._docs, strict=True)]
        best = max(boosted)
        order = sorted(range(len(self._docs)), key=lambda i: -boosted[i])
        out = []
        for i in order[:k]:
            if boosted[i] >= min_score and boosted[i] >= best - spread:
                doc = self._docs[i]
                out.append(Hit(doc.kind, doc.entry, round(boosted[i], 4), doc.text))
        return out

    def faq_match(self, question: str, threshold: float = 0.92, margin: float = 0.02) -> Hit | None:
        """The FAQ entry that answers ``question`` (same meaning), or None.

        A question naming one product never matches an FAQ entry about another one.
        """
        faq = self.knowledge.faq
        if not faq or not question.strip():
            return None
        scores = self._faq_vecs @ self.embedder.query(question)
        order = np.argsort(-scores)
        best = int(order[0])
        runner_up = float(scores[order[1]]) if len(order) > 1 else -1.0
        if scores[best] < threshold or scores[best] - runner_up < margin:
            return None
        entry = faq[best]
        asked = {p.name for p in self.products_named(question)}
        about = {p.name for p in self.products_named(entry.q)}
        if asked and about and not asked & about:
            return None
        return Hit("faq", entry, round(float(scores[best]), 4), entry.a)

    def products_named(self, text: str) -> list[Product]:
        """Products whose name or an alias appears in ``text`` (case-insensitive, whole words for Latin)."""
        lower = text.lower()
        found = []
        for product in self.knowledge.products:
            for name in product.names():
                needle = name.lower()
                if needle.isascii():
                    if re.search(rf"(?<![a-z0-9]){re.escape(needle)}(?![a-z0-9])", lower):
                        found.append(product)
                        break
                elif needle in lower:
                    found.append(product)
                    break
        return found
