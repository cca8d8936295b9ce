"""HTTP clients for the Bot API, sharing one TLS context.

httpx builds an SSL context per client by default: reading the certificate store costs about
20 ms and a megabyte each time, and a start opens four clients (the preflight's and the
application's). One context, built on first use, serves them all.
"""

from __future__ import annotations

import functools
import ssl

import httpx
from telegram.request import HTTPXRequest


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The context httpx would build for each client (certifi, or SSL_CERT_FILE/DIR)."""
    return httpx.create_ssl_context()


def bot_api_request(*, connection_pool_size: int = 1) -> HTTPXRequest:
    """A request object for python-telegram-bot using the shared TLS context."""
    return HTTPXRequest(
        connection_pool_size=connection_pool_size, httpx_kwargs={"verify": tls_context()}
    )
