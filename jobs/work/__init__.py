"""Where job steps live: one module per job kind, sharing the step protocol in steps.py.

- bulk_email.py: render and deliver one message per step.
- file_digest.py: read the upload one chunk per step; digest and counts.
"""
