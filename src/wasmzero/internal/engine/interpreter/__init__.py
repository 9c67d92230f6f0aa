"""Internal machinery: not part of the public API."""
