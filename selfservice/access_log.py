"""gunicorn's access log without the notification secret.

The vendor's notifications arrive at /cleverbridge/notifications/<secret>/ (the vendor documents no signature, so
the secret is in the path), and gunicorn's access log writes every request's path: the secret would end up in every
log line and every log shipper. `RedactedAccessLogger` writes the path with the secret replaced.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

SECRET_IN_PATH = re.compile(r"(/cleverbridge/notifications/)[^/\s?]+")
REDACTED = r"\1[secret]"
PATH_ATOMS = ("r", "U", "{raw_uri}e")


def redacted(text: Any) -> Any:
    return SECRET_IN_PATH.sub(REDACTED, text) if isinstance(text, str) else text


class RedactedAccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for name in PATH_ATOMS:
            if name in atoms:
                atoms[name] = redacted(atoms[name])
        return atoms
