"""Firebase ID tokens as production sees them, without Google: RS256 tokens signed with a key made
here, and a local server that publishes its certificate the way Google's key endpoint does (JSON of
kid -> PEM, with Cache-Control). Point firebase-admin at it by setting
firebase_admin._token_gen.ID_TOKEN_CERT_URI to `KeyServer.url` before it first checks a token of the
project (it binds the URL then). Used by tests/test_signed_tokens.py and bench/auth.py."""

from __future__ import annotations

import datetime
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt
from google.auth import jwt as google_jwt


def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate(key: rsa.RSAPrivateKey) -> str:
    """A self-signed PEM certificate for the key, valid from yesterday to tomorrow."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "securetoken.system.gserviceaccount.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def sign(key: rsa.RSAPrivateKey, kid: str, claims: dict[str, Any]) -> str:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    signer = crypt.RSASigner.from_string(pem, key_id=kid)  # type: ignore[no-untyped-call]
    return str(google_jwt.encode(signer, claims).decode())  # type: ignore[no-untyped-call]


def firebase_claims(project: str, uid: str, **changes: Any) -> dict[str, Any]:
    """The claims of a fresh ID token of `project` for an email/password user."""
    now = int(time.time())
    email = f"{uid}@example.com"
    claims = {
        "iss": f"https://securetoken.google.com/{project}",
        "aud": project,
        "auth_time": now - 60,
        "user_id": uid,
        "sub": uid,
        "iat": now - 60,
        "exp": now + 3540,
        "email": email,
        "email_verified": True,
        "firebase": {"identities": {"email": [email]}, "sign_in_provider": "password"},
    }
    return claims | changes


class KeyServer:
    """Google's key endpoint for one signing key, played on 127.0.0.1. `fetches` counts requests;
    set `status` to make them fail."""

    def __init__(self, project: str, kid: str = "key-1") -> None:
        self.project, self.kid = project, kid
        self.key = private_key()
        self.fetches = 0
        self.status = 200
        body = json.dumps({kid: certificate(self.key)}).encode()
        keys = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                keys.fetches += 1
                self.send_response(keys.status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Cache-Control", "public, max-age=20000, must-revalidate, no-transform")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/certs"

    def __enter__(self) -> KeyServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def claims(self, uid: str, **changes: Any) -> dict[str, Any]:
        return firebase_claims(self.project, uid, **changes)

    def token(self, uid: str, **changes: Any) -> str:
        return sign(self.key, self.kid, self.claims(uid, **changes))
