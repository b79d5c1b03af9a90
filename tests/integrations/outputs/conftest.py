"""The output tests' fixtures live one level up (``tests/integrations/conftest.py``) so other
integration tests can share them; the servers themselves are in ``tests/servers.py``."""
