"""Who owns the assets and how they are tagged in the catalog (every asset declares both)."""

OWNERS = ["team:analytics"]


def layer_tags(layer: str, source: str | None = None) -> dict[str, str]:
    """Catalog tags: the layer (raw, core, marts, outputs) and, for a raw asset, its live source."""
    return {"layer": layer, **({"source": source} if source else {})}
