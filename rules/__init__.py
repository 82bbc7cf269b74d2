"""The allocation rules: the rules file, the rule state and one module per rule, and the
beancount plugin that folds the same rules over the projection; the unit register
(``units``), owners' resolutions (``resolutions``: the art. 278 test; ``resolution_store``:
entering them) and dividends and subsidies (``allocation``: the splits; ``allocate``: the
entries)."""

__all__ = [
    "allocate",
    "allocation",
    "config",
    "engine",
    "plugin",
    "registry",
    "resolution_store",
    "resolutions",
    "units",
]
