"""Read the digits in a photo, left to right: python examples/read_digits.py MODEL IMAGE

A whole device app on the public API: one classifier, loaded once, reused.
"""

import sys

import cv2

from edge_runtime import DigitClassifier, errors

if len(sys.argv) != 3:
    sys.exit("usage: python examples/read_digits.py MODEL IMAGE")
model_path, image_path = sys.argv[1], sys.argv[2]
image = cv2.imread(image_path, cv2.IMREAD_UNCHANGED)
if image is None:
    sys.exit(f"error: cannot read {image_path}")
try:
    with DigitClassifier(model_path) as classifier:
        readings = classifier.read_digits(image, min_confidence=0.7)
except errors.EdgeCNNError as exc:  # a missing or damaged model, an unusable image
    sys.exit(f"error: {exc}")
print("".join("?" if r.rejected else str(r.digit) for r in readings))
