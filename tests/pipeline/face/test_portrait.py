"""Portrait preparation: usable photos, clear errors for unusable ones, the cache."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.face import portrait
from pipeline.face.portrait import CACHE_SUFFIX, MIN_FACE_PX, PortraitError, prepare
from tests.pipeline.face.conftest import ASSET

ROOT = Path(__file__).resolve().parents[3]


def _astronaut() -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(ASSET)), cv2.COLOR_BGR2RGB)


def _write(path: Path, rgb: np.ndarray) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def test_default_portrait_prepares_and_caches(tmp_path: Path) -> None:
    photo = _write(tmp_path / "me.png", _astronaut())
    first = prepare(photo, cache_dir=tmp_path / "cache")
    assert not first.from_cache
    assert first.landmarks.shape == (478, 3)
    assert first.faces_found == 1
    assert (tmp_path / ("me.png" + CACHE_SUFFIX)).is_file()
    second = prepare(photo, cache_dir=tmp_path / "cache")
    assert second.from_cache
    np.testing.assert_array_equal(first.landmarks, second.landmarks)
    np.testing.assert_array_equal(first.triangles, second.triangles)
    assert portrait.face_width(first.landmarks) >= MIN_FACE_PX


def test_changed_photo_is_detected_again(tmp_path: Path) -> None:
    photo = _write(tmp_path / "me.png", _astronaut())
    prepare(photo, cache_dir=tmp_path / "cache")
    flipped = _astronaut()[:, ::-1].copy()
    _write(photo, flipped)
    again = prepare(photo, cache_dir=tmp_path / "cache")
    assert not again.from_cache  # new bytes, new key: the old landmarks are not reused


def test_cache_falls_back_when_beside_the_photo_is_not_writable(tmp_path: Path) -> None:
    photo = _write(tmp_path / "me.png", _astronaut())
    # A folder where the cache file would go: writing there fails (even as root).
    (tmp_path / ("me.png" + CACHE_SUFFIX)).mkdir()
    cache = tmp_path / "cache"
    prepare(photo, cache_dir=cache)
    assert len(list(cache.glob("*.npz"))) == 1
    assert prepare(photo, cache_dir=cache).from_cache


def test_warm_start_does_not_import_mediapipe(tmp_path: Path) -> None:
    photo = _write(tmp_path / "me.png", _astronaut())
    prepare(photo, cache_dir=tmp_path / "cache")
    code = (
        "import sys, time; from pathlib import Path; from pipeline.face.portrait import prepare;"
        f"t = time.perf_counter(); p = prepare(Path({str(photo)!r}));"
        "print(p.from_cache, 'mediapipe' in sys.modules, time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    from_cache, imported, seconds = out.stdout.split()
    assert from_cache == "True"
    assert imported == "False"
    assert float(seconds) < 1.0


def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.png"
    data = ASSET.read_bytes()
    bad.write_bytes(data[:16] + bytes(range(256)) * 4)  # a PNG header, then garbage
    with pytest.raises(PortraitError, match="cannot read this file as an image"):
        prepare(bad, cache_dir=tmp_path)
    with pytest.raises(PortraitError, match="cannot open the photo"):
        prepare(tmp_path / "missing.png", cache_dir=tmp_path)


@pytest.mark.parametrize("kind", ["noise", "blank"])
def test_no_face(tmp_path: Path, kind: str) -> None:
    rng = np.random.default_rng(3)
    image = (
        rng.integers(0, 256, (400, 400, 3), dtype=np.uint8)
        if kind == "noise"
        else np.full((400, 400, 3), 128, np.uint8)
    )
    with pytest.raises(PortraitError, match="no face found"):
        prepare(_write(tmp_path / f"{kind}.png", image), cache_dir=tmp_path)


def test_face_too_small(tmp_path: Path) -> None:
    small = cv2.resize(_astronaut(), None, fx=0.7, fy=0.7, interpolation=cv2.INTER_AREA)  # face ~64 px
    with pytest.raises(PortraitError, match=r"only \d+ px across"):
        prepare(_write(tmp_path / "small.png", small), cache_dir=tmp_path)


def test_head_turned_too_far(tmp_path: Path) -> None:
    # Squeeze the far half of the face to 40 % of its width: the nose ends up near the cheek edge,
    # as on a head turned about 40 degrees.
    big = cv2.resize(_astronaut(), None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    h, w = big.shape[:2]
    split = 448
    far = cv2.resize(big[:, split:], (int((w - split) * 0.4), h), interpolation=cv2.INTER_AREA)
    turned = np.hstack([big[:, :split], far])
    turned = np.hstack([turned, np.repeat(turned[:, -1:], w - turned.shape[1], axis=1)])
    with pytest.raises(PortraitError, match="turned too far"):
        prepare(_write(tmp_path / "turned.png", turned), cache_dir=tmp_path)


def test_several_faces_take_the_largest(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    head = _astronaut()[10:260, 100:350]
    small = cv2.resize(head, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    canvas = np.full((300, 560, 3), 210, np.uint8)
    canvas[20:270, 10:260] = head
    canvas[40 : 40 + small.shape[0], 290 : 290 + small.shape[1]] = small
    with caplog.at_level(logging.WARNING, logger="pipeline.face.portrait"):
        result = prepare(_write(tmp_path / "two.png", canvas), cache_dir=tmp_path)
    assert result.faces_found == 2
    assert "found 2 faces" in caplog.text
    assert result.landmarks[:, 0].mean() < 260  # the larger face, on the left
