"""The interface floor: what talks to the user (the `nodeforge` command, its output, reports, eval).

Imports flow down from here to the stages (learning, storage, generation) and the shared model,
never back up (tests/test_layers.py).
"""
