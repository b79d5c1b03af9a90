"""The face: which photo, at what size and framing, and how it moves."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from daemon.config.base import Section
from daemon.config.paths import ExistingFile

BUNDLED_PORTRAIT = str(Path(__file__).resolve().parents[2] / "profiles" / "assets" / "astronaut.png")
"""The public-domain astronaut portrait shipped in ``profiles/assets`` (default when none is named)."""


class FaceConfig(Section):
    portrait: ExistingFile = Field(
        BUNDLED_PORTRAIT,
        title="Portrait",
        description="The photo to animate (PNG/JPEG, a frontal face at least 120 px across).",
    )
    width: int = Field(512, ge=64, le=3840, multiple_of=2, title="Width", description="Output width, px.")
    height: int = Field(512, ge=64, le=2160, multiple_of=2, title="Height", description="Output height, px.")
    framing: Literal["head_and_shoulders", "photo"] = Field(
        "head_and_shoulders",
        title="Framing",
        description="`head_and_shoulders` crops so the face is about a third of the frame height; "
        "`photo` keeps the photo's own framing.",
    )
    background: tuple[int, int, int] = Field(
        (24, 24, 32), title="Background", description="RGB colour around the photo where it does not fill the frame."
    )
    animate: bool = Field(
        True, title="Animate", description="Animate the face; false shows the still photo (low-power mode)."
    )
    seed: int = Field(0, ge=0, title="Seed", description="Seed of idle life (blinks, sway, saccades).")
    ease_ms: float = Field(
        220.0,
        ge=50.0,
        le=1000.0,
        title="Emotion ease",
        description="How long a change of emotion takes to settle, ms (150-300 reads natural; never a snap).",
    )
    idle_motion: bool = Field(
        True,
        title="Idle motion",
        description="Blinks, breathing, small head sway and eye saccades between and during speech.",
    )
