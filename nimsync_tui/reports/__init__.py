"""Reports to share a run: one self-contained HTML file, and PNG/SVG charts (optional extra ``report``)."""
