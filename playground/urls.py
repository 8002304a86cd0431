"""The console for people: /playground/ and its embed."""

from __future__ import annotations

from django.urls import path

from playground.views import clients, console, embed, limit_demo

app_name = "playground"

urlpatterns = [
    path("playground/", console.playground, name="playground"),
    path("playground/embed/", embed.embed, name="embed"),
    path("playground/send", console.console_send, name="send"),
    path("playground/jobs/<str:job_id>/poll", console.console_poll, name="poll"),
    path("playground/jobs/<str:job_id>/cancel", console.console_cancel, name="cancel"),
    # The embed's own: the only routes other sites may frame.
    path("playground/embed/send", embed.embed_send, name="embed-send"),
    path("playground/embed/jobs/<str:job_id>/poll", embed.embed_poll, name="embed-poll"),
    path("playground/embed/jobs/<str:job_id>/cancel", embed.embed_cancel, name="embed-cancel"),
    path("playground/limits/", limit_demo.limits_page, name="limits"),
    path("playground/clients/", clients.clients, name="clients"),
    path("playground/limits/trip", limit_demo.trip_limit, name="trip-limit"),
]
