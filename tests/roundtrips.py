"""Counting round trips to PostgreSQL: a TCP proxy between the application and the server.

A round trip is the client sending after the server last spoke (or for the first time): it had to wait for
an answer before it could go on. Statements queued in a pipeline travel together and count once, whatever
SQLAlchemy's statement count says.
"""

from __future__ import annotations

import selectors
import socket
import threading
from contextlib import suppress

from sqlalchemy.engine import make_url


class RoundTripProxy:
    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self._target = (parsed.host or "127.0.0.1", parsed.port or 5432)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = parsed.set(host="127.0.0.1", port=self._listener.getsockname()[1]).render_as_string(
            hide_password=False
        )
        self.round_trips = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.round_trips = 0
            self.connections = 0

    def close(self) -> None:
        self._closed = True
        with suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        server = socket.create_connection(self._target)
        selector = selectors.DefaultSelector()
        selector.register(client, selectors.EVENT_READ, server)
        selector.register(server, selectors.EVENT_READ, client)
        client_turn = False  # the client spoke last, and has not been answered yet
        try:
            while True:
                for key, _ in selector.select():
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = source.recv(1 << 16)
                    if not data:
                        return
                    if source is client:
                        if not client_turn:
                            with self._lock:
                                self.round_trips += 1
                            client_turn = True
                    else:
                        client_turn = False
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            selector.close()
            for end in (client, server):
                with suppress(OSError):
                    end.close()
