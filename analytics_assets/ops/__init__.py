"""Operating the platform: alerts on failed runs, structured logs, the scraper SLO, freshness."""
