"""The whole profile: one model, one section per domain, loaded from TOML with exact error paths."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import Field, ValidationError

from daemon.config.api import APIConfig
from daemon.config.base import Section
from daemon.config.brain import BrainConfig
from daemon.config.emotion import EmotionConfig
from daemon.config.face import FaceConfig
from daemon.config.inputs import InputsConfig
from daemon.config.language import LanguageConfig
from daemon.config.obs import OBSConfig
from daemon.config.outputs import OutputsConfig
from daemon.config.persona import PersonaConfig
from daemon.config.voice import VoiceConfig


class Profile(Section):
    """A moodcam profile (TOML)."""

    persona: PersonaConfig = Field(default_factory=PersonaConfig, title="Persona", description="Who the avatar is.")
    language: LanguageConfig = Field(default_factory=LanguageConfig, title="Language", description="Stream language.")
    voice: VoiceConfig = Field(default_factory=VoiceConfig, title="Voice", description="Text to speech.")
    face: FaceConfig = Field(default_factory=FaceConfig, title="Face", description="Portrait animation.")
    emotion: EmotionConfig = Field(default_factory=EmotionConfig, title="Emotion", description="Emotion policy.")
    brain: BrainConfig = Field(default_factory=BrainConfig, title="Brain", description="Replies and knowledge.")
    inputs: InputsConfig = Field(default_factory=InputsConfig, title="Inputs", description="Microphone and chat.")
    outputs: OutputsConfig = Field(default_factory=OutputsConfig, title="Outputs", description="Where it goes.")
    obs: OBSConfig = Field(default_factory=OBSConfig, title="OBS", description="OBS Studio control.")
    api: APIConfig = Field(default_factory=APIConfig, title="API", description="Preview page and control API.")


class ProfileError(Exception):
    """A profile that cannot be used; ``problems`` are (dotted path, reason) pairs."""

    def __init__(self, path: Path, problems: list[tuple[str, str]]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  {where}: {why}" for where, why in problems)
        super().__init__(f"{path}: invalid profile\n{lines}")


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(profile)"


def load_profile(path: Path) -> Profile:
    """Read and validate a TOML profile; raises ProfileError naming each bad field and why."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(path, [("(file)", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(path, [("(file)", f"cannot read: {exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(path, [("(toml)", str(exc))]) from None
    return validate_profile(data, path)


def validate_profile(data: dict, path: Path) -> Profile:
    """Validate already-parsed profile data; relative file fields resolve against ``path``'s folder."""
    try:
        return Profile.model_validate(data, context={"base_dir": Path(path).resolve().parent})
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            reason = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                reason = "unknown key"
            problems.append((_dotted(err["loc"]), reason))
        raise ProfileError(path, problems) from None
