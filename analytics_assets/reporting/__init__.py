"""Outputs: Plotly charts and the HTML risk report built from the risk marts."""
