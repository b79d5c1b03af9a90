"""The brain: reads how viewers feel, decides what the avatar says and how it feels saying it."""
