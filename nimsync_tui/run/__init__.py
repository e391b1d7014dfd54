"""The run side: the load process, its parent's handle on it, and the headless recorder.

The load always runs in a child process (:mod:`.runner`) under its own
``trio.run``; everything else here reads that child's stream.
"""
