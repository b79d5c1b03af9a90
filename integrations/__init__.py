"""moodcam integrations package."""
