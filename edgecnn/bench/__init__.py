"""Benchmark harnesses behind ``edgecnn bench``: the runtime against the raw
interpreter (``runtime``), and the camera pipeline's frame rate and memory (``camera``).

They sit beside the runtime, not inside it: a device app embedding ``edge_runtime``
ships no benchmark. Importing this package is light; the harnesses load numpy and an
interpreter when imported.
"""
