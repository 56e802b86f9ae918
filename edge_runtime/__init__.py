"""The embeddable runtime (numpy + LiteRT; OpenCV only for images)."""
