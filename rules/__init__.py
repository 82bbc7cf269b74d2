"""The allocation rules: the rules file, the rule state and one module per rule, and the
beancount plugin that folds the same rules over the projection."""

__all__ = ["config", "engine", "plugin", "registry"]
