"""Every file the project writes: atomic writes, hashes, safe CSV cells, and the writers
of profiles, CSVs, rejected rows and manifests."""
