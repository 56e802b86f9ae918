"""The live camera demo: capture, read digits with edge_runtime, annotate, stream.

Modules, each with one job:

- ``sources``: parse ``--source`` and open a camera, file, stream or the Pi camera;
- ``capture``: read frames in a thread (newest frame wins on live sources);
- ``loop``: the per-frame loop behind ``edgecnn camera``; ``config`` its options;
- ``overlay``, ``record``, ``server``, ``outputs``: draw, record, stream, log;
- ``summary`` and ``truth``: the end-of-run figures and accuracy against a truth file;
- ``synth`` and ``clip``: synthetic frames and the sample clip made of them;
- ``bench``: processing FPS on one core, and the memory soak.
"""
