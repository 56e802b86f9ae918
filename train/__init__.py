"""Training: MNIST loading, model registry, training and evaluation (TensorFlow)."""
