"""Read the digits in a photo, left to right: python examples/read_digits.py MODEL IMAGE

A whole device app on the public API: one classifier, loaded once, reused.
"""

import sys

import cv2

from edge_runtime import DigitClassifier

model_path, image_path = sys.argv[1], sys.argv[2]
image = cv2.imread(image_path, cv2.IMREAD_UNCHANGED)
if image is None:
    sys.exit(f"cannot read {image_path}")
with DigitClassifier(model_path) as classifier:
    readings = classifier.read_digits(image, min_confidence=0.7)
print("".join("?" if r.rejected else str(r.digit) for r in readings))
