"""Build the Stage's animator and performer from the profile's face section."""

from __future__ import annotations

import logging

from daemon.config.profile import Profile
from pipeline.face.protocols import Animator, Performer
from pipeline.face.still import RestPerformer, StillAnimator

log = logging.getLogger(__name__)


def build_face(profile: Profile) -> tuple[Animator, Performer]:
    """The portrait, still: animation plugs in here once a real animator is configured."""
    f = profile.face
    return StillAnimator(f.portrait, (f.width, f.height)), RestPerformer()
