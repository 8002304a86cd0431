"""The console for people: /playground/ and its embed."""

from __future__ import annotations

from django.urls import path

from playground.views import checks, clients, console, embed, limit_demo

app_name = "playground"

urlpatterns = [
    path("playground/", console.playground, name="playground"),
    path("playground/embed/", embed.embed, name="embed"),
    path("playground/send", console.console_send, name="send"),
    # A run's own page, where a Send without JavaScript is sent (303), and its next steps.
    path("playground/runs/<str:run_id>/", console.console_run, name="run"),
    path("playground/runs/<str:run_id>/poll", console.console_run_poll, name="run-poll"),
    path("playground/runs/<str:run_id>/cancel", console.console_run_cancel, name="run-cancel"),
    # The run checked as /check/ checks any flow, and the run as a HAR file.
    path("playground/runs/<str:run_id>/check", checks.run_check, name="run-check"),
    path("playground/runs/<str:run_id>/run.har", checks.run_har, name="run-har"),
    # What an htmx console polls and cancels by, keeping nothing.
    path("playground/jobs/<str:job_id>/poll", console.console_poll, name="poll"),
    path("playground/jobs/<str:job_id>/cancel", console.console_cancel, name="cancel"),
    # The embed's own: the only routes other sites may frame.
    path("playground/embed/send", embed.embed_send, name="embed-send"),
    path("playground/embed/runs/<str:run_id>/", embed.embed_run, name="embed-run"),
    path("playground/embed/runs/<str:run_id>/poll", embed.embed_run_poll, name="embed-run-poll"),
    path(
        "playground/embed/runs/<str:run_id>/cancel",
        embed.embed_run_cancel,
        name="embed-run-cancel",
    ),
    path("playground/embed/jobs/<str:job_id>/poll", embed.embed_poll, name="embed-poll"),
    path("playground/embed/jobs/<str:job_id>/cancel", embed.embed_cancel, name="embed-cancel"),
    path("playground/limits/", limit_demo.limits_page, name="limits"),
    path("playground/clients/", clients.clients, name="clients"),
    path("playground/limits/trip", limit_demo.trip_limit, name="trip-limit"),
]
