"""Getting feeds: HTTP, parsing, autodiscovery, OPML, credentials, refresh."""
