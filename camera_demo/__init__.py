"""The live camera demo: capture, read digits with edge_runtime, annotate, stream.

Modules, each with one job:

- ``sources``: parse ``--source`` and open a camera, file, stream or the Pi camera;
- ``capture``: read frames in a thread (newest frame wins on live sources);
- ``loop``: the per-frame loop behind ``edgecnn camera``; ``config`` its options;
- ``overlay``, ``record``, ``server``, ``outputs``: draw, record, stream, log
  (``feed`` hands frames to the HTTP threads, ``webpage`` is the page, ``roi`` the region);
- ``stable``: readings seen in K of the last N frames; ``mqtt``: publish them;
- ``metrics``: ``/metrics`` and ``/healthz``; ``swap``: pick up a replaced model file;
  ``endpoints``: start the server and MQTT, and stop cleanly on SIGTERM;
- ``summary`` and ``truth``: the end-of-run figures and accuracy against a truth file.

The synthetic clips it is tuned on are made by ``tools/`` (not shipped); its benchmark
is ``edgecnn bench --camera`` (``edgecnn/bench/camera.py``).
"""
