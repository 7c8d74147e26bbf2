"""Analytics: pure risk, league summary and season-fair computations over the core tables."""
