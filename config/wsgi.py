from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config.bounded_request import BoundedRequest  # noqa: E402  (needs the app registry)

application.request_class = BoundedRequest

# Parse the content before serving: a broken file stops the server from starting,
# with an error naming the file and key, instead of failing a reader's request.
from reference.catalog import get_catalog  # noqa: E402  (needs the app registry)

get_catalog()
