"""The allocation rules and the committee's workflows.

- the rules: the rules file (``config``), the fold engine (``engine``), one module per rule
  (listed in ``registry``), the rule set the books are built with (``ruleset``), and the
  beancount plugin that folds the same rules over the projection (``plugin``);
- the workflows that write through ``ledger``: a new community (``community``), the unit
  register (``units``), owners' resolutions (``vote``: the art. 278 test; ``resolution_register``:
  entering them), dividends and subsidies (``prorata``: the splits; ``allocate``: the entries),
  closing periods (``periods``, with the reserve rule in ``reserve``), paying dividends out
  (``payout``), income contracts and the budget (``contracts``, ``budget``), bank statements
  and documents (``bank``, ``documents``).
"""

__all__ = [
    "allocate",
    "bank",
    "budget",
    "community",
    "config",
    "contracts",
    "documents",
    "engine",
    "payout",
    "periods",
    "plugin",
    "prorata",
    "registry",
    "resolution_register",
    "rules_store",
    "ruleset",
    "units",
    "vote",
]
