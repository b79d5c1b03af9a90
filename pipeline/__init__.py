"""moodcam pipeline package."""
