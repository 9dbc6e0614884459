"""The app's screens, one per file: the main view and the dialogs over it."""
