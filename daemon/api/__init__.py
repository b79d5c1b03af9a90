"""The preview page and control API (FastAPI, served in-process by uvicorn)."""
