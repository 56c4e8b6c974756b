"""Client credentials and access tokens (``POST /oauth2/token``).

Issuing, checking and revoking tokens belongs here; so does anything a token will carry later
(its scopes, and refusing a request its scopes do not cover).
"""

from __future__ import annotations

import secrets

from .base import StateBase


class AuthMixin(StateBase):
    """Access tokens for the client's credentials."""

    def issue_token(self, client_id: str, client_secret: str) -> tuple[str, int] | None:
        """A new access token for valid client credentials, else ``None``."""
        if not (
            secrets.compare_digest(client_id, self.client_id)
            and secrets.compare_digest(client_secret, self.client_secret)
        ):
            return None
        token = secrets.token_urlsafe(32)
        self.tokens[token] = self.now() + self.settings.token_lifetime
        return token, int(self.settings.token_lifetime)

    def token_valid(self, token: str) -> bool:
        """Known and not expired."""
        expires = self.tokens.get(token)
        return expires is not None and self.now() < expires

    def revoke_tokens(self) -> None:
        """Forget every token (e.g. after the client secret was rotated)."""
        self.tokens.clear()

    def rotate_client_secret(self, secret: str) -> None:
        """Regenerate the client secret (as in Enode's dashboard): the old one and every token
        issued with it stop working."""
        if not secret:
            raise ValueError("secret must not be empty")
        self.client_secret = secret
        self.revoke_tokens()
