"""The bank statement layouts shipped with the service (TOML, see ``rules.bank.Layout``)."""
