"""Code shared by the TapStack Lambda handlers: Data API access, S3 keys, errors, packs, metrics."""
