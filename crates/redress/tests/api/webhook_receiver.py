"""A webhook receiver for the tests (webhooks.rs): a real HTTP server that verifies each
request's signature as README's "Webhooks" says, and writes one JSON line per request to
OUT: the payload's id, type, complaint and sequence, whether the signature held, and the whole
body.

Usage: webhook_receiver.py PORT SECRET_FILE OUT
The secret is read from SECRET_FILE on each request (the test writes it once the endpoint is
registered). The server answers 200 to a request it could verify, 401 otherwise.
"""

import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, SECRET_FILE, OUT = int(sys.argv[1]), sys.argv[2], sys.argv[3]
TOLERANCE = 300  # seconds


def verify(secret: bytes, header: str, body: bytes) -> bool:
    """The documented check: HMAC-SHA256 over "<t>.<body>", within five minutes."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > TOLERANCE:
        return False
    expected = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            with open(SECRET_FILE, "rb") as f:
                secret = f.read().strip()
        except OSError:
            secret = b""
        verified = verify(secret, self.headers.get("Redress-Signature", ""), body)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {}
        line = {
            "id": payload.get("id"),
            "type": payload.get("type"),
            "reference": payload.get("complaint", {}).get("reference"),
            "sequence": payload.get("complaint", {}).get("sequence"),
            "delivery_header": self.headers.get("Redress-Delivery"),
            "verified": verified,
            "body": body.decode("utf-8", "replace"),
        }
        with open(OUT, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
        self.send_response(200 if verified else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer.allow_reuse_address = True
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
