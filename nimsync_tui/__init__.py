"""nimsync-tui: a live benchmark monitor for Trio async channels.

The measurement core (this package minus ``nimsync_tui.tui``) never imports
textual: a headless ``--record`` run and the exports work without the UI.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nimsync-tui")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
