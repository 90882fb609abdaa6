"""Request guards of the HTTP service, as one small ASGI middleware.

- Token: when the server has a token (always, when it listens on anything but
  localhost), every request except `/healthz` must carry it as
  `Authorization: Bearer <token>`, an `X-Tillroll-Token` header or the
  `tillroll_token` cookie. Opening any page with `?token=<token>` sets the
  cookie (HttpOnly, SameSite=Strict) and redirects to the same page without it,
  so the token does not linger in the address bar or in history.
- Host names: bound to loopback, the server answers only to its own names
  (localhost, 127.0.0.1, [::1], the bind address, and names the operator lists
  with --allowed-host), so a DNS-rebinding page cannot reach it under its name.
- Cross-site writes: a browser request that changes something (POST/PUT/DELETE)
  from another origin is refused, so a web page cannot make a reviewer's
  browser upload or approve receipts behind their back. With a list of host
  names, Origin is checked against that list, not against Host.
- Body size: uploads larger than the limit are refused with 413 before they are
  read into memory, whether or not the client sent a Content-Length.
- Headers: a strict Content-Security-Policy on the review UI (no inline
  script, no third-party origins), nosniff and no framing everywhere.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..errors import AuthenticationError, FileTooLargeError, TillrollError

COOKIE = "tillroll_token"
OPEN_PATHS = frozenset({"/healthz"})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

Scope = dict[str, Any]


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


class _BodyTooLarge(Exception):
    pass


class GuardMiddleware:
    def __init__(self, app: Any, *, token: str | None, max_body_bytes: int, allowed_hosts: frozenset[str] | None = None) -> None:
        self.app = app
        self.token = token
        self.max_body_bytes = max_body_bytes
        # None: any Host (a public bind, protected by its token); else the host names
        # (lower case, IPv6 without brackets) this server answers to (see `allowed_host_names`).
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path: str = scope.get("path", "")
        method: str = scope.get("method", "GET")

        if self.token and path not in OPEN_PATHS:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            if method == "GET" and "token" in query:
                await self._login_redirect(scope, query, send)
                return
            if not self._authorised(headers):
                await _send_json(
                    send,
                    401,
                    AuthenticationError(
                        "this server needs its access token: send 'Authorization: Bearer <token>' or open the UI "
                        "with the ?token=... link printed by `tillroll serve`"
                    ),
                )
                return

        if self.allowed_hosts is not None and _host_name(headers.get("host", ""))[0] not in self.allowed_hosts:
            await _send_json(
                send,
                400,
                AuthenticationError(
                    f"this server answers only to {', '.join(sorted(self.allowed_hosts))}; to reach it under another "
                    "name, start it with --allowed-host NAME (or TILLROLL_ALLOWED_HOSTS)"
                ),
                code="bad_host",
            )
            return

        if method in ("POST", "PUT", "PATCH", "DELETE") and not _same_origin(headers, self.allowed_hosts):
            await _send_json(send, 403, AuthenticationError("cross-site requests may not change anything on this server"), code="cross_site")
            return

        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _send_json(send, 413, FileTooLargeError(self._too_large()))
            return

        received = 0
        too_large = False
        replaced = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received, too_large
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            nonlocal replaced
            if too_large:
                # The app turned our interruption into some error response of its own (a
                # form parser failing gives 400); the client must hear the real reason: 413.
                if message["type"] == "http.response.start" and not replaced:
                    replaced = True
                    await _send_json(send, 413, FileTooLargeError(self._too_large()))
                return
            if message["type"] == "http.response.start":
                extra = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer")]
                if path == "/" or path.startswith(("/review", "/static")):
                    extra.append((b"content-security-policy", UI_CSP.encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            if not replaced:
                await _send_json(send, 413, FileTooLargeError(self._too_large()))

    def _too_large(self) -> str:
        return (
            f"the upload is larger than this server's limit of {self.max_body_bytes / 1e6:.1f} MB; "
            "send a smaller scan (receipts read well at 200-300 dpi) or start the server with a larger --max-upload-mb"
        )

    def _authorised(self, headers: dict[str, str]) -> bool:
        assert self.token is not None
        candidates = []
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            candidates.append(auth[7:].strip())
        if "x-tillroll-token" in headers:
            candidates.append(headers["x-tillroll-token"].strip())
        if "cookie" in headers:
            cookie = SimpleCookie()
            try:
                cookie.load(headers["cookie"])
            except Exception:  # a malformed cookie header is just not a token
                cookie = SimpleCookie()
            if COOKIE in cookie:
                candidates.append(cookie[COOKIE].value)
        return any(hmac.compare_digest(c.encode(), self.token.encode()) for c in candidates)

    async def _login_redirect(self, scope: Scope, query: dict[str, str], send: Any) -> None:
        given = query.pop("token")
        if not hmac.compare_digest(given.encode(), self.token.encode()):  # type: ignore[union-attr]
            await _send_json(send, 401, AuthenticationError("wrong access token; use the link printed by `tillroll serve`"))
            return
        location = scope.get("path", "/") + (f"?{urlencode(query)}" if query else "")
        cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode()), (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})


def _host_name(value: str) -> tuple[str | None, int | None]:
    """(host name in lower case without IPv6 brackets, port or None) of a Host header or URL authority."""
    try:
        parts = urlsplit("//" + value.strip())
        return parts.hostname, parts.port
    except ValueError:  # a port that is not a number, an unbalanced bracket
        return None, None


def allowed_host_names(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str] | None:
    """The Host names a server bound to `bind_host` accepts; None means any.

    A server on loopback is reachable only from this machine, and without a
    token; its one remaining attacker is a web page whose own name an attacker
    re-points at 127.0.0.1 (DNS rebinding). Such requests carry the attacker's
    name in Host, so they are refused unless the name is the server's own
    (localhost, the loopback addresses, the bind address) or one the operator
    listed. A public bind needs a token anyway, and accepts any Host unless the
    operator lists names.
    """
    listed = {n for n in (_host_name(name)[0] for name in extra if name.strip()) if n}
    if not is_loopback(bind_host) and not listed:
        return None
    own = {n for n in (_host_name(h)[0] for h in (*LOOPBACK_HOSTS, bind_host)) if n}
    return frozenset(own | listed)


def _same_origin(headers: dict[str, str], allowed_hosts: frozenset[str] | None = None) -> bool:
    """Browsers send Origin on cross-site writes; non-browser clients usually send none (allowed).

    With a list of host names, Origin must name one of them, on the port the
    request came to; it is not compared with Host, which a DNS-rebinding page controls.
    """
    origin = headers.get("origin")
    if origin is None:
        fetch_site = headers.get("sec-fetch-site")
        return fetch_site in (None, "same-origin", "none")
    if origin == "null":
        return False
    if allowed_hosts is None:
        return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()
    try:
        parts = urlsplit(origin)
        default_port = 443 if parts.scheme == "https" else 80
        origin_host, origin_port = parts.hostname, parts.port or default_port
    except ValueError:
        return False
    host_port = _host_name(headers.get("host", ""))[1] or default_port
    return origin_host in allowed_hosts and origin_port == host_port


async def _send_json(send: Any, status: int, error: TillrollError, code: str | None = None) -> None:
    record = error.to_record()
    if code:
        record["error"] = code
    body = json.dumps(record).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
