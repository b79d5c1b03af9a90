"""Request and response bodies of the control API (they make the published OpenAPI schema)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pipeline.emotion import Emotion


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SayRequest(_Body):
    text: str = Field(..., min_length=1, max_length=2000, description="What the avatar says, as it is.")
    emotion: Emotion | None = Field(None, description="How to say it; omitted: read from the text.")
    intensity: float = Field(0.7, ge=0.0, le=1.0, description="Intensity of the emotion.")


class AskRequest(_Body):
    text: str = Field(..., min_length=1, max_length=2000, description="A line the avatar answers (as chat).")
    viewer: str = Field("operator", min_length=1, max_length=64, description="Who asks.")


class EmotionRequest(_Body):
    emotion: Emotion | None = Field(..., description="Emotion to show; null returns control to the brain.")
    intensity: float = Field(0.7, ge=0.0, le=1.0, description="Intensity.")


class ProfileRequest(_Body):
    path: str | None = Field(None, max_length=4096, description="Profile to switch to; omitted: reload the current.")


class Accepted(BaseModel):
    ok: bool = True
    job: str | None = None
    detail: str | None = None
