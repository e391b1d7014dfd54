"""``nimsync-tui --serve``: the live app in web browsers, one app process per tab.

The options and the tab's command import nothing heavy; the web server
(:mod:`nimsync_tui.serve.server`, aiohttp and textual-serve) loads only when serving.
"""
