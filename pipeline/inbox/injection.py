"""Prompt-injection guard: chat that tries to steer the model instead of talking to the avatar.

Four families, in English and Chinese: overriding the instructions, role-play jailbreaks, making the
avatar read text verbatim (``repeat after me``, ``say exactly``, ``跟我念``), and extracting the system
prompt; plus raw chat-template tokens.  English patterns are also matched on a letters-only,
leet-folded view with spelled-out letters joined, so ``i g n 0 r e prev10us instructions`` is
caught; Chinese ones on the characters
alone so inserted spaces or symbols do not help.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.inbox.normalize import cjk_compact, latin_tokens

_FILL = r"(?:\w+\s+){0,4}?"
_VERBATIM = r"exactly|verbatim|word\s+for\s+word|the\s+following|these\s+words|this\s+(?:sentence|text|line|phrase)"

# (rule, English pattern over folded text with words separated by \s+).  Patterns use only words,
# (?:a|b) groups, ? and the filler, so a letters-only form can be derived from them.
_EN_RULES: tuple[tuple[str, str], ...] = (
    (
        "injection.override",
        rf"\b(?:ignore|disregard|forget|override|bypass|skip|drop|abandon)\s+{_FILL}"
        r"(?:previous|prior|above|earlier|preceding|original|system|initial|existing|old|all|your)\s+"
        rf"{_FILL}(?:instructions?|prompts?|rules?|directions?|guidelines?|programming|directives?|context|orders?)",
    ),
    ("injection.override", r"\b(?:new|updated|real|actual)\s+(?:instructions?|rules?|system\s+prompt)\s*:"),
    ("injection.roleplay", r"\byou\s+are\s+(?:now|no\s+longer)\b"),
    ("injection.roleplay", r"\bfrom\s+now\s+on\s+(?:you|your|u)\b"),
    ("injection.roleplay", r"\bpretend\s+(?:to\s+be|you\s+are|youre|that\s+you|you're)"),
    ("injection.roleplay", r"\b(?:act|behave|respond|answer)\s+(?:as|like)\s+(?:a|an|if|though|my|the)\b"),
    ("injection.roleplay", r"\brole\s*-?\s*play"),
    ("injection.roleplay", r"\b(?:dan|stan|dude|aim)\s+mode\b|\bdo\s+anything\s+now\b"),
    ("injection.roleplay", r"\b(?:developer|god|evil|unrestricted|jailbreak|jailbroken|debug|sudo)\s+mode\b"),
    ("injection.roleplay", r"\bjail\s*break"),
    ("injection.roleplay", r"\b(?:without|no)\s+(?:any\s+)?(?:restrictions|filters|limits|rules|censorship)\b"),
    ("injection.roleplay", r"\b(?:unfiltered|uncensored|unrestricted)\b"),
    ("injection.roleplay", r"\bstay\s+in\s+character\b"),
    ("injection.verbatim", rf"\brepeat\s+(?:after\s+me|back|{_VERBATIM})"),
    ("injection.verbatim", rf"\bsay\s+(?:after\s+me|it\s+back|{_VERBATIM})"),
    ("injection.verbatim", r"\b(?:say|read|recite|announce|shout|repeat)\s*(?:this|it|out|aloud)?\s*[:：\"“'‘「『]"),
    (
        "injection.verbatim",
        r"\b(?:read|recite)\s+(?:this|the\s+following|these\s+words|my\s+message)\s*(?:out\s+loud|aloud)?",
    ),
    ("injection.verbatim", r"\b(?:out\s+loud|aloud)\s*[:：]"),
    ("injection.verbatim", r"\bverbatim\b|\bword\s+for\s+word\b"),
    (
        "injection.verbatim",
        r"\b(?:just|only)\s+(?:say|reply|respond|answer)\s+(?:with\s+)?(?:the\s+)?(?:word|words|phrase|sentence)\b",
    ),
    ("injection.verbatim", r"\btype\s+(?:out\s+)?exactly\b|\becho\s+(?:back|this|exactly)\b"),
    (
        "injection.extraction",
        r"\b(?:system|initial|original|hidden|secret|developer|pre-?)\s*(?:prompt|instructions?|message|rules|configuration)",
    ),
    (
        "injection.extraction",
        rf"\b(?:reveal|show|print|output|tell|give|display|leak|dump|share|list|recite|spell)\s+{_FILL}"
        r"(?:your|the)\s+(?:prompt|instructions?|rules|guidelines|configuration|config)\b",
    ),
    ("injection.extraction", r"\bwhat\s+(?:are|were|is)\s+your\s+(?:prompt|instructions?|rules|guidelines)\b"),
    ("injection.extraction", r"\bwhat\s+(?:were|are)\s+you\s+(?:told|instructed|programmed)\b"),
    ("injection.extraction", r"\b(?:words|text)\s+above\b|\beverything\s+above\b"),
)

_TEMPLATE_RE = re.compile(
    r"<\|[a-z_]*\|>|\[/?inst\]|<<\s*/?sys\s*>>|</?s>|^\s*(?:system|assistant|user)\s*:|#{2,}\s*(?:system|instruction)",
    re.IGNORECASE | re.MULTILINE,
)

_ZH_RULES: tuple[tuple[str, str], ...] = (
    (
        "injection.override",
        r"(?:忽略|无视|忘记|忘掉|不要管|别管|不用管|跳过|覆盖|抛开|放弃|丢掉)掉?(?:之前|以前|先前|前面|上面|以上|刚才|所有|一切|全部|你的|原来|原有|原先|系统)?"
        r"(?:的)?(?:所有|全部|一切)?(?:的)?(?:指令|指示|提示|提示词|规则|设定|命令|要求|限制|约束|设置|人设)",
    ),
    ("injection.override", r"(?:新的|真正的)(?:指令|规则|设定)"),
    (
        "injection.roleplay",
        r"你现在是|现在你是|从现在(?:开始|起)|假装(?:你|自己)?是|扮演|角色扮演|进入\w{0,6}模式|开发者模式|上帝模式|越狱"
        r"|没有(?:任何)?限制|不受(?:任何)?限制|解除(?:所有|一切)?限制|取消(?:所有|一切)?限制|不要有(?:任何)?限制|你不再是",
    ),
    (
        "injection.verbatim",
        r"跟(?:着)?我(?:念|读|说|重复|学)|重复(?:一遍|一下|一次)?(?:我|以下|下面|这句|这段|这些)|照(?:着|我)(?:念|读|说)"
        r"|一字不(?:差|漏|改)|逐字|原样|原封不动|(?:念|读|说)(?:出|一下|一遍)?(?:以下|下面|这段|这句|这些字)|复述|原话",
    ),
    (
        "injection.extraction",
        r"系统提示|提示词|(?:你的|初始|原始|隐藏|系统)(?:指令|设定|规则|提示|人设)|(?:输出|告诉我|显示|打印|泄露|透露|说出|公开)(?:你的)?(?:设定|指令|规则|提示)",
    ),
)


def _skeletal(pattern: str) -> str:
    """The pattern in the leet skeleton's alphabet, where ``l`` reads ``i`` (see ``normalize.skeleton``)."""
    return re.sub(r"(?<!\\)l", "i", pattern)


def _spelled_view(folded: str) -> str:
    """Words in leet-skeleton form, with runs of single letters joined (``i g n 0 r e`` -> ``ignore``)."""
    words: list[str] = []
    run = ""
    for tok in latin_tokens(folded):
        tok = tok.replace("*", "")
        if len(tok) == 1:
            run += tok
            continue
        if run:
            words.append(run)
            run = ""
        words.append(tok)
    if run:
        words.append(run)
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    spaced: re.Pattern[str]
    spelled: re.Pattern[str] | None


_EN = tuple(_Rule(name, re.compile(p, re.IGNORECASE), re.compile(_skeletal(p))) for name, p in _EN_RULES)
_ZH = tuple(_Rule(name, re.compile(p), None) for name, p in _ZH_RULES)


@dataclass(frozen=True, slots=True)
class InjectionHit:
    rule: str
    matched: str


def find_injection(folded: str) -> InjectionHit | None:
    """The first injection pattern in folded text (see ``normalize.fold``), or None."""
    m = _TEMPLATE_RE.search(folded)
    if m:
        return InjectionHit("injection.template", m.group(0))
    for rule in _EN:
        m = rule.spaced.search(folded)
        if m:
            return InjectionHit(rule.name, m.group(0))
    spelled = _spelled_view(folded)
    for rule in _EN:
        if rule.spelled is not None:
            m = rule.spelled.search(spelled)
            if m:
                return InjectionHit(rule.name, m.group(0))
    cjk = cjk_compact(folded)
    if cjk:
        for rule in _ZH:
            m = rule.spaced.search(cjk)
            if m:
                return InjectionHit(rule.name, m.group(0))
    return None
