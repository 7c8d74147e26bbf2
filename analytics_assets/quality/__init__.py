"""Quality gates: Pandera schemas and the rules every season must pass before it is stored."""
