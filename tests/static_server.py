"""Serve a folder of static files on 127.0.0.1 (the JupyterLite site in the browser tests).

    python tests/static_server.py DIR PORT

Python's http.server, with the MIME types a JupyterLite site needs whatever the machine's mime.types says: module
workers load ``.mjs`` only as JavaScript, and WebAssembly streams only as ``application/wasm``. No caching, so a
rebuilt site is never served stale.
"""
import functools
import http.server
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
                      ".json": "application/json", ".whl": "application/octet-stream", ".ipynb": "application/json"}

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, fmt, *args):         # one line per request on stderr (the test's server log)
        sys.stderr.write(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")


def main() -> None:
    folder, port = sys.argv[1], int(sys.argv[2])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                             functools.partial(Handler, directory=folder))
    server.serve_forever()


if __name__ == "__main__":
    main()
