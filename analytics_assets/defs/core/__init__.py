"""Core assets (standings, dead_cap) and the manual-import sensor."""
