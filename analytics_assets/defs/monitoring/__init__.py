"""Monitoring: the run-failure alert sensor, the scraper SLO check, season freshness."""
