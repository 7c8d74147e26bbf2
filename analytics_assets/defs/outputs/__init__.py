"""Output assets: the charts and the HTML report."""
