"""Moderation: decide whether a chat message may reach the model, and clean what may.

Order: prompt-injection guard, then the profile's word list (both on folded text, so obfuscation
does not help), then scrubbing of contact details.  A blocked message is logged with its rule and
never spoken; its text is not logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.inbox.injection import find_injection
from pipeline.inbox.normalize import display_text, fold
from pipeline.inbox.pii import scrub
from pipeline.inbox.wordlist import WordList

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome for one message.

    ``allowed``: may reach the model.  ``text``: what may be used (scrubbed; empty when blocked).
    ``rule``: which rule blocked or changed it (``injection.override``, ``word``, ``scrub.phone``...),
    None when the message passed untouched.  ``reason``: a short human explanation.
    """

    allowed: bool
    text: str
    rule: str | None = None
    reason: str | None = None


class Moderator:
    """Word list + injection guard + contact scrubbing, configured from the profile."""

    def __init__(
        self,
        blocked_words: Iterable[str] = (),
        *,
        guard_injection: bool = True,
        scrub_contacts: bool = True,
        max_chars: int = 300,
    ) -> None:
        self.words = WordList(blocked_words)
        self.guard_injection = guard_injection
        self.scrub_contacts = scrub_contacts
        self.max_chars = max_chars

    def check(self, text: str, *, viewer: str = "", platform: str = "") -> Verdict:
        """Judge one message; logs blocked ones with their rule."""
        verdict = self._judge(text)
        if not verdict.allowed:
            log.info("chat blocked: viewer=%r platform=%s rule=%s (%s)", viewer, platform, verdict.rule, verdict.reason)
        return verdict

    def _judge(self, text: str) -> Verdict:
        shown = display_text(text)
        if not shown:
            return Verdict(False, "", "empty", "nothing to say")
        truncated = len(shown) > self.max_chars
        if truncated:
            shown = shown[: self.max_chars].rstrip()
        folded = fold(shown)
        if self.guard_injection:
            inj = find_injection(folded)
            if inj:
                return Verdict(False, "", inj.rule, f"prompt injection: {inj.rule.split('.', 1)[1]}")
        hit = self.words.find(shown, folded)
        if hit:
            return Verdict(False, "", "word", f"blocked word ({hit.how})")
        rule: str | None = "truncated" if truncated else None
        reason: str | None = f"cut to {self.max_chars} characters" if truncated else None
        if self.scrub_contacts:
            cleaned = scrub(shown)
            if cleaned.kinds:
                shown = cleaned.text
                rule = "scrub." + "+".join(cleaned.kinds)
                reason = "removed " + ", ".join(cleaned.kinds)
                if not _has_content(shown):
                    return Verdict(False, "", rule, "nothing left after removing contact details")
        return Verdict(True, shown, rule, reason)


def _has_content(text: str) -> bool:
    """Anything left besides tags, spaces and punctuation."""
    stripped = text
    for tag in ("[phone]", "[email]", "[link]", "[address]", "[地址]", "[contact]"):
        stripped = stripped.replace(tag, "")
    return any(ch.isalnum() for ch in stripped)
