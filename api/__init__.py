"""The demo API: views.py (one view per URL), intake.py (reading and checking what
a POST sends, before anything is stored) and representations.py (a job as JSON
and headers)."""
