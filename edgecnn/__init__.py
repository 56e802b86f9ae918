"""edgecnn: train a digit CNN, quantize it to int8 TFLite, run it on the edge."""

__version__ = "0.1.0"
