from __future__ import annotations

from django.urls import re_path

from reference import views

app_name = "reference"

# /202 (no slash) reaches /202/ through CommonMiddleware's permanent APPEND_SLASH redirect.
urlpatterns = [
    re_path(r"^$", views.index, name="index"),
    re_path(r"^(?P<code>[1-9]\d\d)/$", views.status_page, name="status"),
    re_path(r"^(?P<code>[1-9]\d\d)\.json$", views.status_json, name="status-json"),
    # The guide: /which-code/ asks the first question; every answer given adds a
    # segment (/which-code/ready/work/clear/not-done/may-fail/poll/).
    re_path(r"^which-code/$", views.which_code, name="which-code"),
    re_path(
        r"^which-code/(?P<answers>[a-z0-9-]+(?:/[a-z0-9-]+)*)/$",
        views.which_code,
        name="which-code-answers",
    ),
]
