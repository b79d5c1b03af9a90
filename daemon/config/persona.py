"""Who the avatar is: name, how it introduces itself, the system prompt's character."""

from __future__ import annotations

from pydantic import Field

from daemon.config.base import Section


class PersonaConfig(Section):
    name: str = Field("Mia", min_length=1, max_length=64, title="Name", description="The avatar's name.")
    description: str = Field(
        "A warm, upbeat live-stream co-host who keeps answers short and friendly.",
        max_length=4000,
        title="Character",
        description="Who the avatar is; goes into the LLM system prompt.",
    )
    greeting: str = Field(
        "Hi everyone, welcome to the stream!",
        max_length=500,
        title="Greeting",
        description="Said once when the stream starts; empty for none.",
    )
