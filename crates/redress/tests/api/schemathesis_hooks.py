"""Schemathesis hooks for the API contract test (api_contract.rs).

An Idempotency-Key is state: the same key with another request is refused (422) by design, as
the document says. Schemathesis draws the header from the document's example (one key for every
request), so a valid key is replaced with a fresh one per request; an invalid key is left as
generated, so its refusal (400) is still checked. Idempotency itself is tested in
api_actions.rs.
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str):
            if VALID_KEY.match(headers[name].strip()):
                headers[name] = str(uuid.uuid4())
    return None
