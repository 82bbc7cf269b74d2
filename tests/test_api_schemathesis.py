"""schemathesis over the OpenAPI document: generated requests, valid and invalid, against every
operation, authenticated as a treasurer-and-approver of a real community and anonymously, find no 5xx and no
response that contradicts the documented schema. Bounded: a few dozen examples per operation
and mode, driven through schemathesis's Hypothesis strategies (its pytest plugin's lazy
fixtures do not run under pytest 9)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.api_helpers import SLUG, Login

EXAMPLES = 25


@pytest.mark.parametrize("auth", ["token", "anonymous"])
def test_no_server_errors(app: FastAPI, members: dict[str, Login], auth: str) -> None:
    app.state.settings.public_docs = True  # the document itself is for members
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = members["both"].bearer if auth == "token" else {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    ran, skipped = 0, []
    for operation in operations:
        fixed = {"slug": SLUG} if "{slug}" in operation.path else None
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(mode, path_parameters=fixed, headers=headers)

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def run(case: Any) -> None:
                response = case.call()
                case.validate_response(
                    response, checks=[not_a_server_error, response_schema_conformance]
                )

            try:
                run()
            except Unsatisfiable:
                # Negative mode cannot break an operation whose only input is fixed (the slug).
                assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid example"
                skipped.append(operation.label)
                continue
            ran += 1
    print("schemathesis:", ran, "runs; negative mode not applicable to", skipped)
    assert ran >= len(operations) + 4, (ran, skipped)
