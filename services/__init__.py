"""Service requests reported by residents and the work orders staff close."""
