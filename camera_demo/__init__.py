"""The live camera demo: capture, read digits with edge_runtime, annotate, stream."""
