"""Run the app with uvicorn: access logging is the app's own (uvicorn's would log query strings and client
addresses), and SIGTERM / Ctrl-C stop accepting, then drain in-flight requests for ``drain_timeout_s``."""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from ._config import ServerConfig
from ._errors import ServerError


def serve(config: ServerConfig, *, verifier: Any = None, judge: Any = None) -> None:
    import uvicorn

    from ._app import create_app

    app = create_app(config, verifier=verifier, judge=judge)
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=math.ceil(config.drain_timeout_s),  # then in-flight requests are cut
        server_header=False,
        limit_concurrency=None,
    )


@contextlib.contextmanager
def serve_in_thread(app: Any, *, host: str = "127.0.0.1", port: int = 0, ready: bool = True,
                    timeout: float = 20.0) -> Iterator[str]:  # fmt: skip
    """Run ``app`` (from :func:`create_app`) with uvicorn in a background thread, for examples, notebooks and
    tests; yields the base URL (``port=0``: a free port). Waits for ``/readyz`` unless ``ready=False``;
    at exit the server stops gracefully (in-flight requests drain)."""
    import httpx
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="guardrail-serve", daemon=True)
    thread.start()
    url = f"http://{host}:{bound}"
    deadline = time.monotonic() + timeout
    try:
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise ServerError("the server did not start")
            time.sleep(0.01)
        if ready:
            with httpx.Client(base_url=url, trust_env=False) as client:
                while client.get("/readyz").status_code != 200:
                    if time.monotonic() > deadline:
                        raise ServerError(f"the server did not get ready: {client.get('/readyz').text}")
                    time.sleep(0.02)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
