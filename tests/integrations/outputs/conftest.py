"""The output tests' servers live one level up (``tests/integrations/conftest.py``) so other
integration tests can share them; the helpers are re-exported here for the modules that import them."""

from tests.integrations.conftest import FuseCamera, Nginx, Pulse, ffprobe, free_port, wait_for

__all__ = ["FuseCamera", "Nginx", "Pulse", "ffprobe", "free_port", "wait_for"]
