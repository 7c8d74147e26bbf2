"""Raw assets: each live source's page per season, archived."""
