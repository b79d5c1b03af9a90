"""Face: portrait preparation, rig, renderer and motion (expressions, visemes, idle life)."""
