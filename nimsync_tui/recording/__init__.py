"""The recording format: what ``--record``, the app's export and ``--replay --record`` write, and how it is read.

- :mod:`.names`: the file names of a recording directory and the rule that finds its log;
- :mod:`.directory`: a directory claimed (created, locked, checked) and its growing log;
- :mod:`.files`: the ``.hgrm``, ``intervals.csv``, ``results.json`` and ``summary.txt`` writers;
- :mod:`.logfile`: a log read as a stream, its digest checked on every later pass.

Nothing here runs a load or draws a screen: it imports neither trio nor textual
(``tests/unit/test_layering.py``).
"""
