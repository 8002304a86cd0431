"""The OpenAPI 3.1 document of the demo API, served at /api/openapi.json.

Built as a Python dict so the limits, the CORS lists and the server URL are the
live ones. Tests validate the document against the OpenAPI 3.1 schema and real
responses from every endpoint and method (status, headers and body) against it.

Read in this order: reusable pieces, then one section per URL, then the document:

- components.py: media types, headers, reusable responses, and the OPTIONS and
  HEAD operations every URL has;
- schemas.py: components/schemas;
- examples.py: the example job, its requests, states and results;
  problem_examples.py: one problem body per problem the endpoints answer;
- paths_start.py: the POST endpoints that start a job;
- paths_follow.py: the status monitor, the result and the operation;
- document.py: the description, /api/openapi.json itself, and openapi_document().
"""

from __future__ import annotations

from api.openapi.document import openapi_document

__all__ = ["openapi_document"]
