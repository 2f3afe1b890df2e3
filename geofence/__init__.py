"""Geofences around community centres: the shapes, each worker's spatial index, the admin pages."""
