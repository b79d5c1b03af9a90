"""moodcam daemon package."""
