"""The voice: text and emotion in, Utterances (audio, visemes, word timings) out.

``build_engine(...)`` makes an engine; ``engine.stream(text, emotion)`` yields one Utterance per
sentence; ``visemes_from_audio`` lip-syncs any other voice; ``normalize_for_speech`` prepares text.
"""

from pipeline.voice.audio_visemes import AudioVisemeTracker, visemes_from_audio
from pipeline.voice.engine import TTSEngine
from pipeline.voice.factory import build_engine
from pipeline.voice.prosody import Prosody, prosody_for
from pipeline.voice.sentences import SentenceStream, split_sentences
from pipeline.voice.text_normalize import normalize_for_speech

__all__ = [
    "AudioVisemeTracker",
    "Prosody",
    "SentenceStream",
    "TTSEngine",
    "build_engine",
    "normalize_for_speech",
    "prosody_for",
    "split_sentences",
    "visemes_from_audio",
]
