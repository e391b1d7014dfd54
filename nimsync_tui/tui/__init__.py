"""The Textual app: the only package of nimsync-tui that imports Textual."""

from .app import DEFAULT_FPS, MonitorApp

__all__ = ["DEFAULT_FPS", "MonitorApp"]
