"""Who is visiting the served pages: the identity ``workbench serve`` gives Voilà.

Two modes (``mode_for``):

- ``os-user`` (bound to loopback): every visitor is the OS user who started the server.
- ``tokens`` (any other address, or ``--tokens``): a visitor signs in with the token
  ``workbench users add NAME`` printed, on ``/login`` or with ``?token=`` on any URL (also
  ``Authorization: token ...``). The server then sets a signed, HttpOnly, SameSite=Lax
  cookie (Secure over HTTPS) holding the name and a digest of the stored hash, so removing
  the user ends their sessions at once. Without a valid token or cookie a page answers a
  redirect to ``/login``, an API call or websocket 403, a wrong token on ``/login`` 403.

``/logout`` clears the cookie (200). The page handler forwards the name to the page's
kernel as the ``X-Workbench-User`` header, which Voilà hands on as ``HTTP_X_WORKBENCH_USER``
(``VoilaConfiguration.http_header_envs``); whatever a visitor sends in that header is
dropped first.
"""

from __future__ import annotations

import getpass
import html
import ipaddress
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import IdentityProvider, User
from jupyter_server.base.handlers import JupyterHandler
from traitlets import Enum, Unicode

from research_core.identity import USER_HEADER

OS_USER, TOKENS = "os-user", "tokens"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; False for "", 0.0.0.0 and the rest."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def mode_for(host: str, tokens: bool = False) -> str:
    """``tokens`` beyond loopback or when asked; ``os-user`` otherwise."""
    return TOKENS if tokens or not is_loopback(host) else OS_USER


def os_user() -> str:
    """The OS user running the server, as the PMS records people (trimmed, lower case)."""
    return getpass.getuser().strip().lower()


def without_token(path: str, query: str) -> str:
    """``path?query`` less any ``token`` parameter (kept out of history and kernels)."""
    rest = urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "token"])
    return f"{path}?{rest}" if rest else path


class WorkbenchIdentity(IdentityProvider):
    """Jupyter Server identity for the pages: the OS user, or per-user tokens."""

    mode = Enum([OS_USER, TOKENS], default_value=OS_USER, config=True)
    db_url = Unicode("", config=True, help="PMS database holding the users (tokens mode)")
    local_user = Unicode("", config=True, help="who visitors are in os-user mode")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookie_options = {"samesite": "Lax"}
        self._engine: Any = None

    @property
    def engine(self) -> Any:
        if self._engine is None:
            from research_core.pms.db import make_engine

            self._engine = make_engine(self.db_url)
        return self._engine

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return self.mode == TOKENS

    def get_handlers(self) -> list[tuple[str, object]]:
        login = [(r"/login", LoginHandler)] if self.mode == TOKENS else []
        return [*login, (r"/logout", LogoutHandler)]

    def check(self, token: str) -> User | None:
        """The user a token belongs to, or None."""
        from research_core.pms.users import check_token

        name = check_token(self.engine, token)
        return None if name is None else User(name)

    def get_user(self, handler: Any) -> User | None:
        if self.mode == OS_USER:
            return User(self.local_user or os_user())
        token = self.get_token(handler)
        if not token:
            return self.get_user_cookie(handler)  # type: ignore[return-value]
        user = self.check(token)
        if user is None:
            self.log.warning("refused a wrong token from %s", handler.request.remote_ip)
            return None
        self.set_login_cookie(handler, user)
        handler._token_authenticated = True  # an API call with its token: no XSRF cookie
        return user

    def user_to_cookie(self, user: User) -> str:
        from research_core.pms.users import session_key

        return json.dumps({"name": user.username, "key": session_key(self.engine, user.username)})

    def user_from_cookie(self, cookie_value: str) -> User | None:
        from research_core.pms.users import session_key

        data = json.loads(cookie_value)
        name, key = str(data["name"]), data.get("key")
        return User(name) if key and session_key(self.engine, name) == key else None


def _provider(handler: JupyterHandler) -> WorkbenchIdentity:
    provider = handler.identity_provider
    assert isinstance(provider, WorkbenchIdentity)  # set by serve.voila_config
    return provider


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        "<style>body{font:15px system-ui,sans-serif;max-width:32rem;margin:4rem auto;"
        "color:#1f2933}input{font:inherit;width:100%;padding:.4rem;margin:.4rem 0}"
        ".err{color:#b42318}</style></head>"
        f"<body><h1>{title}</h1>{body}</body></html>"
    )


class LoginHandler(JupyterHandler):
    """``/login``: a form for the token; a good one sets the cookie and goes on to
    ``next`` (a path on this server), a wrong one answers 403."""

    def _next(self) -> str:
        target = self.get_argument("next", "/")
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            return "/"
        path, _, query = target.partition("?")
        return without_token(path, query)

    def _form(self, problem: str = "") -> None:
        note = f"<p class='err'>{html.escape(problem)}</p>" if problem else ""
        action = "/login?" + urlencode({"next": self._next()})
        self.finish(
            _page(
                "Sign in",
                f"{note}<form method='post' action='{html.escape(action)}'>"
                f"{self.xsrf_form_html()}<label>Your token (from "
                "<code>workbench users add NAME</code>)"
                "<input type='password' name='token' autofocus></label>"
                "<input type='submit' value='Sign in'></form>",
            )
        )

    @allow_unauthenticated
    def get(self) -> None:
        self._form()

    @allow_unauthenticated
    def post(self) -> None:
        user = _provider(self).check(self.get_argument("token", ""))
        if user is None:
            self.set_status(403)
            self._form("That token is not valid.")
            return
        _provider(self).set_login_cookie(self, user)
        self.redirect(self._next())


class LogoutHandler(JupyterHandler):
    """``/logout``: ends the signed-in session (tokens mode); says who visitors are else."""

    @allow_unauthenticated
    def get(self) -> None:
        provider = _provider(self)
        if provider.mode == TOKENS:
            provider.clear_login_cookie(self)
            body = "<p>You are signed out.</p><p><a href='/login'>Sign in again</a></p>"
        else:
            who = html.escape(provider.local_user or os_user())
            body = f"<p>Pages served on this machine act as its user {who}: no sign-in to end.</p>"
        self.finish(_page("Signed out" if provider.mode == TOKENS else "Workbench", body))


def page_prepare_user(handler: Any) -> bool:
    """In a page handler's ``prepare``, after authentication: forward the visitor's name to
    the kernel (``USER_HEADER``); a ``?token=`` URL is redirected without it. False when
    the response is already decided (redirected)."""
    user = handler.current_user
    if user is None:
        return False
    query = handler.request.query
    if handler.request.method == "GET" and "token" in dict(parse_qsl(query)):
        handler.redirect(without_token(handler.request.path, query))
        return False
    handler.request.headers[USER_HEADER] = user.username
    return True
