"""The brain: which LLM answers, with what knowledge, and the live-commerce behaviour."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, HttpUrl

from daemon.config.base import Section
from daemon.config.paths import ExistingFile
from pipeline.brain.commerce import DEFAULT_EVENT_LINES, EventTemplates
from pipeline.brain.prompt import Persona
from pipeline.brain.responder import BrainSettings
from pipeline.turn import TurnKind


class BrainConfig(Section):
    backend: Literal["llama_cpp", "openai"] = Field(
        "llama_cpp",
        title="Backend",
        description="`llama_cpp` (a local GGUF) or `openai` (any OpenAI-compatible chat endpoint).",
    )
    model: str = Field(
        "embedded",
        min_length=1,
        title="Model",
        description="llama_cpp: `embedded` (SmolLM2-135M) or a path to a GGUF; openai: the model name.",
    )
    url: HttpUrl | None = Field(None, title="Server URL", description="OpenAI-compatible base URL (backend `openai`).")
    api_key_env: str | None = Field(
        None, title="API key variable", description="Environment variable holding the API key (never the key)."
    )
    knowledge: ExistingFile | None = Field(
        None, title="Knowledge file", description="TOML of products, prices, stock, FAQ and persona facts."
    )
    max_sentences: int = Field(3, ge=1, le=20, title="Max sentences", description="Replies are cut after this many.")
    max_tokens: int = Field(120, ge=8, le=2048, title="Max tokens", description="Token budget of one reply.")
    first_clause_chars: int = Field(
        12,
        ge=0,
        le=200,
        title="First clause",
        description="The reply's first clause is spoken as soon as the model has written it: at its first "
        "comma after at least this many letters (CJK characters), not at the end of the sentence "
        "(0 = wait for the whole first sentence).",
    )
    temperature: float = Field(0.6, ge=0.0, le=2.0, title="Temperature", description="Sampling temperature.")
    seed: int = Field(1234, ge=0, title="Seed", description="Sampling seed (reproducible replies).")
    threads: int = Field(
        1,
        ge=1,
        le=64,
        title="Threads",
        description="CPU threads for the local model. Keep it below the core count: when another thread "
        "(rendering, speech) holds a core, llama.cpp's threads wait on each other and run many times slower.",
    )
    memory_turns: int = Field(6, ge=0, le=100, title="Memory", description="Turns remembered per viewer.")
    cache_seconds: int = Field(
        120, ge=0, le=86400, title="Answer cache", description="Identical questions within this time reuse the answer."
    )
    idle_script: list[str] = Field(
        default_factory=list,
        max_length=200,
        title="Idle script",
        description="Selling lines looped while chat is quiet.",
    )
    idle_after_s: float = Field(
        20.0, ge=2.0, le=3600.0, title="Idle after", description="Quiet seconds before the next idle-script line."
    )
    knowledge_top_k: int = Field(
        3, ge=0, le=10, title="Facts per question", description="Knowledge entries put into the prompt per question."
    )
    knowledge_min_score: float = Field(
        0.81,
        ge=0.0,
        le=1.0,
        title="Fact relevance",
        description="Least similarity (multilingual-e5, cosine) for a knowledge entry to count as relevant.",
    )
    faq_threshold: float = Field(
        0.92,
        ge=0.5,
        le=1.0,
        title="FAQ match",
        description="Similarity at which a question is answered from the FAQ as it is, without the LLM.",
    )
    check_line: str = Field(
        "",
        max_length=300,
        title="Check line",
        description="Said instead of a price, stock or promise the knowledge does not back "
        "(empty: a built-in line in the stream language).",
    )
    force_tag: bool = Field(
        True,
        title="Force emotion tag",
        description="Constrain replies to open with a valid emotion tag where the backend allows "
        "(llama.cpp grammars).",
    )
    server_grammar: bool = Field(
        False,
        title="Server takes grammars",
        description="backend `openai`: the server accepts a GBNF `grammar` field (llama.cpp server) "
        "used to force the emotion tag.",
    )
    timeout_s: float = Field(
        30.0, ge=1.0, le=600.0, title="Server timeout", description="backend `openai`: seconds to wait for tokens."
    )
    context: int = Field(
        2048, ge=512, le=131072, title="Context", description="backend `llama_cpp`: context window in tokens."
    )
    greet_joins: bool = Field(True, title="Greet joins", description="Say a welcome line when a viewer joins.")
    thank_follows: bool = Field(True, title="Thank follows", description="Say thanks when a viewer follows.")
    thank_gifts: bool = Field(True, title="Thank gifts", description="Say thanks when a viewer sends a gift.")
    join_templates: list[str] = Field(
        default_factory=list,
        max_length=50,
        title="Join lines",
        description="Welcome lines, `{viewer}` is filled in (empty: built-in lines in the stream language).",
    )
    follow_templates: list[str] = Field(
        default_factory=list,
        max_length=50,
        title="Follow lines",
        description="Thank-you lines for follows, `{viewer}` is filled in (empty: built-in lines).",
    )
    gift_templates: list[str] = Field(
        default_factory=list,
        max_length=50,
        title="Gift lines",
        description="Thank-you lines for gifts, `{viewer}` and `{gift}` are filled in (empty: built-in lines).",
    )
    join_cooldown_s: float = Field(
        600.0,
        ge=0.0,
        le=86400.0,
        title="Join cool-down",
        description="Seconds before the same viewer is welcomed again.",
    )
    follow_cooldown_s: float = Field(
        3600.0,
        ge=0.0,
        le=86400.0,
        title="Follow cool-down",
        description="Seconds before the same viewer is thanked again for a follow.",
    )
    gift_cooldown_s: float = Field(
        30.0,
        ge=0.0,
        le=86400.0,
        title="Gift cool-down",
        description="Seconds before the same viewer is thanked again for a gift.",
    )
    join_min_gap_s: float = Field(
        8.0,
        ge=0.0,
        le=3600.0,
        title="Welcome gap",
        description="Least seconds between any two welcome lines (a join flood is not read out).",
    )
    thanks_min_gap_s: float = Field(
        2.0, ge=0.0, le=3600.0, title="Thanks gap", description="Least seconds between any two follow or gift thanks."
    )

    def backend_options(self) -> dict[str, object]:
        """Keyword arguments for ``pipeline.brain.factory.make_backend`` (without the API key)."""
        return {
            "kind": self.backend,
            "model": self.model,
            "url": str(self.url) if self.url else None,
            "threads": self.threads,
            "context": self.context,
            "server_grammar": self.server_grammar,
            "timeout_s": self.timeout_s,
        }

    def settings(self, language: str, persona_name: str, persona_description: str) -> BrainSettings:
        """The plain settings the pipeline's Responder takes."""
        return BrainSettings(
            language=language,
            persona=Persona(persona_name, persona_description),
            max_sentences=self.max_sentences,
            max_tokens=self.max_tokens,
            first_clause_chars=self.first_clause_chars,
            temperature=self.temperature,
            seed=self.seed,
            force_tag=self.force_tag,
            cache_seconds=float(self.cache_seconds),
            faq_threshold=self.faq_threshold,
            knowledge_top_k=self.knowledge_top_k,
            knowledge_min_score=self.knowledge_min_score,
            check_line=self.check_line or None,
            memory_turns=self.memory_turns,
        )

    def event_templates(self, language: str) -> EventTemplates:
        """Join/follow/gift lines (the profile's, else built-in ones) with their cool-downs."""
        builtin = DEFAULT_EVENT_LINES.get(language, DEFAULT_EVENT_LINES["en"])
        return EventTemplates(
            join=tuple(self.join_templates or builtin.join) if self.greet_joins else (),
            follow=tuple(self.follow_templates or builtin.follow) if self.thank_follows else (),
            gift=tuple(self.gift_templates or builtin.gift) if self.thank_gifts else (),
            cooldown_s={
                TurnKind.JOIN: self.join_cooldown_s,
                TurnKind.FOLLOW: self.follow_cooldown_s,
                TurnKind.GIFT: self.gift_cooldown_s,
            },
            min_gap_s={
                TurnKind.JOIN: self.join_min_gap_s,
                TurnKind.FOLLOW: self.thanks_min_gap_s,
                TurnKind.GIFT: self.thanks_min_gap_s,
            },
        )
