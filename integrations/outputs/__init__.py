"""Outputs: where the Stage's picture and sound go (file, preview, virtual camera, audio device, WebRTC, RTMP)."""
