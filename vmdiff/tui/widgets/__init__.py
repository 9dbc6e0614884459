"""The app's widgets, one per file: tree, hex pane, details pane, status bar."""
