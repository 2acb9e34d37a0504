"""Container health: the service's own metrics endpoint answers (HEALTHCHECK_PORT, default 9101)."""

import os
import sys
import urllib.request

port = os.environ.get("HEALTHCHECK_PORT", "9101")
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=4) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError:
    sys.exit(1)
