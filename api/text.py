"""What the text of a bulk email may hold: its subject, body and recipients become mail.

No field holds a control character (Unicode's Cc: C0, DEL and C1), except that a
body keeps tab, line feed and CR LF (a lone carriage return is a bare CR, which
SMTP forbids). A subject and a recipient's name become mail headers, so each is one
line: no line break of any kind (U+2028 and U+2029 included), or a crafted value
could add headers of its own. No field holds an unpaired surrogate, which JSON can
escape ("\\ud800") but no mail can encode. The OpenAPI document states the same
rules with the patterns below; the tests hold the two together.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

ONE_LINE_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
BODY_CHARACTERS = r"^(?:[^\x00-\x08\x0b-\x1f\x7f-\x9f]|\r\n)*$"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_IN_BODY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


def text_problem(text: str, *, one_line: bool) -> str | None:
    """What makes text unfit for a message, or None; one_line for what becomes a header."""
    if not storable(text):
        return "Not valid Unicode text (it contains an unpaired surrogate)."
    if one_line and text and text.splitlines() != [text]:
        # A line break in a mail header would start a new header: every mail backend
        # refuses it (BadHeaderError), so refuse it now.
        return "A single line: no line breaks."
    control = (CONTROL if one_line else CONTROL_IN_BODY).search(text)
    if control is not None:
        allowed = "" if one_line else " but tab, line feed and CR LF"
        return f"No control characters{allowed}: {control.group()!r} at {control.start()}."
    return None


def storable(text: str) -> bool:
    # No message containing a lone surrogate can be encoded: the job would only
    # fail later, in the worker.
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def is_address(email: str) -> bool:
    # Django's validator lets control characters into a quoted local part ("\x01"@x).
    try:
        validate_email(email)
    except ValidationError:
        return False
    return CONTROL.search(email) is None
