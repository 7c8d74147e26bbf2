"""Mart assets: team_season_risk and league_risk_summary."""
