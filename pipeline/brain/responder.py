"""The Responder: a Turn in, ReplySentences out, as they are ready.

Events get templates, the operator's lines are said as they are, and chat or host speech is
answered from the cache, from the knowledge (FAQ, price, stock) or by the LLM, whose stream is
parsed for the emotion tag, cut into sentences, checked against the knowledge and run through the
emotion policy. ``respond_sync`` is the heavy generator for a worker thread; ``respond`` wraps it
for asyncio; ``interrupt`` stops the reply in progress.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

from pipeline.brain.answers import answer_directly, check_line
from pipeline.brain.cache import AnswerCache
from pipeline.brain.commerce import EventResponder, IdleScript
from pipeline.brain.emotion_reader import EmotionReader, viewer_feeling
from pipeline.brain.guard import Allowed, check_claims
from pipeline.brain.knowledge import Hit, KnowledgeIndex
from pipeline.brain.llm import GenerationParams, LLMBackend
from pipeline.brain.memory import ConversationMemory
from pipeline.brain.policy import EmotionPolicy
from pipeline.brain.prompt import STOP, Persona, build_messages, system_prompt
from pipeline.brain.reply import ReplySentence, Source, next_reply_id
from pipeline.brain.sentences import SentenceCutter, continues_sentence, split_sentences
from pipeline.brain.tag_stream import Tag, TagStream
from pipeline.emotion import Emotion, EmotionState
from pipeline.turn import Turn, TurnKind

log = logging.getLogger(__name__)
TAG_INTENSITY = 0.6
READS_MIN_CONFIDENCE = 0.6
EVENT_KINDS = (TurnKind.JOIN, TurnKind.FOLLOW, TurnKind.GIFT)


@dataclass(frozen=True, slots=True)
class BrainSettings:
    """Plain settings (the daemon fills them from the profile)."""

    language: str = "en"
    persona: Persona = field(default_factory=Persona)
    max_sentences: int = 3
    max_tokens: int = 120
    temperature: float = 0.6
    seed: int = 1234
    force_tag: bool = True
    cache_seconds: float = 120.0
    faq_threshold: float = 0.92
    knowledge_top_k: int = 3
    knowledge_min_score: float = 0.81
    check_line: str | None = None
    max_sentence_chars: int = 160
    first_clause_chars: int = 12
    memory_turns: int = 6


class Responder:
    """Answers turns. One reply at a time; a new call waits for (or ``interrupt``s) the current one."""

    def __init__(
        self,
        backend: LLMBackend,
        reader: EmotionReader,
        policy: EmotionPolicy,
        settings: BrainSettings | None = None,
        *,
        knowledge: KnowledgeIndex | None = None,
        events: EventResponder | None = None,
        idle: IdleScript | None = None,
        memory: ConversationMemory | None = None,
    ) -> None:
        self.backend = backend
        self.reader = reader
        self.policy = policy
        self.settings = settings or BrainSettings()
        self.knowledge = knowledge
        self.events = events
        self.idle = idle
        self.memory = memory if memory is not None else ConversationMemory(turns=self.settings.memory_turns)
        self.cache: AnswerCache[list[tuple[str, EmotionState]]] = AnswerCache(self.settings.cache_seconds)
        self._system = system_prompt(self.settings.persona, self.settings.max_sentences, self.settings.language)
        self._busy = threading.Lock()
        self._cancel: threading.Event | None = None

    # -- public -----------------------------------------------------------------------------------

    def respond_sync(self, turn: Turn, cancel: threading.Event | None = None) -> Iterator[ReplySentence]:
        """Yield the reply to ``turn`` sentence by sentence (run it in a thread)."""
        cancel = cancel or threading.Event()
        with self._busy:
            self._cancel = cancel
            try:
                yield from self._respond(turn, cancel)
            finally:
                self._cancel = None
        if self.idle is not None:
            self.idle.note_activity()

    async def respond(self, turn: Turn) -> AsyncIterator[ReplySentence]:
        """``async for sentence in responder.respond(turn)``; cancelling the loop stops generation."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        cancel = threading.Event()
        end = object()

        def put(item: object) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop is gone: nobody is listening any more
                cancel.set()

        def work() -> None:
            try:
                for sentence in self.respond_sync(turn, cancel):
                    put(sentence)
            except Exception as exc:
                put(exc)
            finally:
                put(end)

        threading.Thread(target=work, name="brain-reply", daemon=True).start()
        try:
            while (item := await queue.get()) is not end:
                if isinstance(item, Exception):
                    raise item
                assert isinstance(item, ReplySentence)
                yield item
        finally:
            cancel.set()

    def warm_up(self) -> None:
        """Evaluate the fixed part of the prompt now, so the first question is answered quickly."""
        warm = getattr(self.backend, "warm_up", None)
        if warm is not None:
            warm([{"role": "system", "content": self._system}, {"role": "user", "content": "hi"}])

    def interrupt(self) -> None:
        """Stop the reply being generated (barge-in); already yielded sentences stay yielded."""
        if self._cancel is not None:
            self._cancel.set()

    def commit_spoken(self, reply_id: str, spoken_text: str) -> bool:
        """Memory keeps only what was heard of ``reply_id``."""
        return self.memory.commit_spoken(reply_id, spoken_text)

    def idle_lines(self) -> list[ReplySentence]:
        """The next selling-script line when chat has been quiet long enough, else []."""
        line = self.idle.next_line() if self.idle is not None else None
        if not line:
            return []
        return list(self._fixed(line, EmotionState(), "script", next_reply_id(), "idle script"))

    # -- the paths --------------------------------------------------------------------------------

    def _respond(self, turn: Turn, cancel: threading.Event) -> Iterator[ReplySentence]:
        reply_id = next_reply_id()
        if turn.kind in EVENT_KINDS:
            if self.events is None:
                return
            line, why = self.events.line_for(turn)
            log.info("%s from %s: %s", turn.kind.value, turn.viewer, why)
            if line:
                yield from self._fixed(line, EmotionState(), "template", reply_id, why, turn.viewer)
            return
        if turn.kind is TurnKind.OPERATOR:
            yield from self._fixed(turn.text, EmotionState(), "script", reply_id, "operator line", turn.viewer)
            return
        viewer = viewer_feeling(self.reader.read(turn.text))
        cacheable = turn.kind is not TurnKind.HOST
        cached = self.cache.get(turn.text) if cacheable else None
        if cached is not None:
            self.memory.add_viewer(turn.viewer, turn.text)
            yield from self._replay(cached, viewer, turn, reply_id)
            return
        direct = None
        if self.knowledge is not None and turn.kind is not TurnKind.HOST:
            direct = answer_directly(self.knowledge, turn.text, self.settings.language, self.settings.faq_threshold)
        if direct is not None:
            log.info("answered from knowledge: %s", direct.why)
            self.memory.add_viewer(turn.viewer, turn.text)
            said = yield from self._fixed(
                direct.text, viewer, "faq", reply_id, direct.why, turn.viewer, reply=direct.emotion
            )
            if cacheable:
                self.cache.put(turn.text, said)
            return
        yield from self._generate(turn, viewer, reply_id, cancel, cacheable)

    def _generate(
        self, turn: Turn, viewer: EmotionState, reply_id: str, cancel: threading.Event, cacheable: bool
    ) -> Iterator[ReplySentence]:
        s = self.settings
        hits: list[Hit] = []
        if self.knowledge is not None:
            hits = self.knowledge.search(turn.text, k=s.knowledge_top_k, min_score=s.knowledge_min_score)
        allowed = Allowed.from_texts([h.text for h in hits], question=turn.text)
        # the host speaks to the whole room: the stream's recent lines; a viewer: their own exchange
        history = self.memory.stream() if turn.kind is TurnKind.HOST else self.memory.for_viewer(turn.viewer)
        messages = build_messages(self._system, history, turn.viewer, turn.text, turn.kind, hits, s.language)
        self.memory.add_viewer(turn.viewer, turn.text)
        params = GenerationParams(
            max_tokens=s.max_tokens, temperature=s.temperature, seed=s.seed, force_tag=s.force_tag, stop=STOP
        )
        tags, cutter = TagStream(), SentenceCutter(
            max_chars=s.max_sentence_chars, first_clause_chars=s.first_clause_chars
        )
        active: Tag | None = None  # the tag in force for new text
        buffered: Tag | None = None  # the tag in force when the text now in the cutter began
        said: list[tuple[str, EmotionState]] = []
        pieces, stopped = 0, False
        stream = self.backend.stream(messages, params, cancel)
        try:
            for piece in stream:
                pieces += 1
                if cancel.is_set():
                    break
                for event in tags.feed(piece):
                    if isinstance(event, Tag):
                        active = event
                        continue
                    if not cutter.pending.strip():
                        buffered = active
                    for text in cutter.feed(event.text):
                        sentence = self._llm_sentence(text, buffered, viewer, allowed, reply_id, said)
                        buffered = active
                        said.append((sentence.text, sentence.decision.reply if sentence.decision else viewer))
                        self.memory.add_reply(reply_id, turn.viewer, sentence.text)
                        yield sentence
                        stopped = sentence.guarded or _whole(said) >= s.max_sentences
                        if stopped or cancel.is_set():
                            break
                    if stopped or cancel.is_set():
                        break
                if stopped or cancel.is_set():
                    break
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        if cancel.is_set():
            log.info("reply %s interrupted after %d sentence(s)", reply_id, len(said))
            return
        if not stopped:
            finish = getattr(self.backend, "finish_reason", None)
            truncated = finish == "length" if finish else pieces >= params.max_tokens
            rest = [t for e in tags.flush() if not isinstance(e, Tag) for t in cutter.feed(e.text)]
            rest += cutter.flush()
            if truncated and said:
                rest = []  # cut at the token limit: end on the last whole sentence
            for text in rest[: max(0, s.max_sentences - _whole(said))]:
                sentence = self._llm_sentence(text, buffered or active, viewer, allowed, reply_id, said)
                said.append((sentence.text, sentence.decision.reply if sentence.decision else viewer))
                self.memory.add_reply(reply_id, turn.viewer, sentence.text)
                yield sentence
                if sentence.guarded:
                    break
        if cacheable and said and not any(t == self._check_line() for t, _ in said):
            self.cache.put(turn.text, said)

    # -- sentences --------------------------------------------------------------------------------

    def _llm_sentence(
        self, text: str, tag: Tag | None, viewer: EmotionState, allowed: Allowed, reply_id: str,
        said: list[tuple[str, EmotionState]],
    ) -> ReplySentence:
        index = len(said)
        continues = bool(said) and continues_sentence(said[-1][0])
        verdict = check_claims(text, allowed)
        if not verdict.ok:
            log.info("reply %s sentence %d replaced: %s", reply_id, index, verdict.reason)
            line = self._check_line()
            decision = self.policy.decide(viewer, EmotionState(Emotion.CONCERNED, 0.3), new_reply=index == 0)
            return ReplySentence(line, decision.shown, decision.rule, "llm", reply_id, index, decision, guarded=True,
                                 continues=continues)
        reads = None
        if tag is not None and tag.emotion is not None:
            level = 0.0 if tag.emotion is Emotion.NEUTRAL else (tag.intensity or TAG_INTENSITY)
            reply = EmotionState(tag.emotion, level)
            if tag.emotion in (Emotion.HAPPY, Emotion.SURPRISED):
                reads = self._reads(text)  # bad news told cheerfully is caught by the policy
        else:
            reads = self._reads(text)  # no valid tag: the text says how it feels
            reply = reads
            log.info("reply %s sentence %d: no valid tag (%s), read as %s", reply_id, index,
                     tag.raw if tag else "none", reply.emotion.value)
        decision = self.policy.decide(viewer, reply, reads, new_reply=index == 0)
        return ReplySentence(text, decision.shown, decision.rule, "llm", reply_id, index, decision, continues=continues)

    def _fixed(
        self,
        text: str,
        viewer: EmotionState,
        source: Source,
        reply_id: str,
        why: str,
        speaker: str = "",
        reply: EmotionState | None = None,
    ) -> Iterator[ReplySentence]:
        """Sentences of a known text (FAQ, template, script); returns what was said."""
        said: list[tuple[str, EmotionState]] = []
        for index, sentence in enumerate(split_sentences(text, self.settings.max_sentence_chars)):
            reads = self._reads(sentence)
            feel = reply or reads
            decision = self.policy.decide(viewer, feel, reads, new_reply=index == 0)
            said.append((sentence, feel))
            self.memory.add_reply(reply_id, speaker, sentence)
            yield ReplySentence(sentence, decision.shown, decision.rule, source, reply_id, index, decision)
        log.debug("reply %s (%s): %s", reply_id, source, why)
        return said

    def _replay(
        self, cached: list[tuple[str, EmotionState]], viewer: EmotionState, turn: Turn, reply_id: str
    ) -> Iterator[ReplySentence]:
        for index, (text, feel) in enumerate(cached):
            decision = self.policy.decide(viewer, feel, new_reply=index == 0)
            self.memory.add_reply(reply_id, turn.viewer, text)
            continues = index > 0 and continues_sentence(cached[index - 1][0])
            yield ReplySentence(
                text, decision.shown, decision.rule, "cache", reply_id, index, decision, continues=continues
            )

    def _reads(self, text: str) -> EmotionState:
        """How a sentence of ours reads; an unsure reading counts as neutral."""
        return viewer_feeling(self.reader.read(text), min_confidence=READS_MIN_CONFIDENCE)

    def _check_line(self) -> str:
        return check_line(self.settings.language, self.settings.check_line)


def _whole(said: list[tuple[str, EmotionState]]) -> int:
    """Whole sentences said so far (a first clause sent ahead is not one)."""
    return sum(1 for text, _ in said if not continues_sentence(text))
