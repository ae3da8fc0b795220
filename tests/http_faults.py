#!/usr/bin/env python3
"""A small HTTP/1.1 file server for the download tests: the faults nginx
cannot stage.  Serves ROOT with Range, ETag and Last-Modified like nginx
(ETag from mtime and size, If-Range honoured), plus:

  /cut/AT/NAME     the first request for NAME sends AT bytes of the body,
                   then closes the connection; later ones are served whole
  /stall/AT/NAME   the first request sends AT bytes, then nothing (the
                   connection stays open until the client gives up)
  /norange/NAME    Range is ignored (always 200, the whole file)

Every request is logged to ROOT/../requests.log as "PATH RANGE IF-RANGE".

  http_faults.py ROOT PORTFILE      (listens on a free port of 127.0.0.1,
                                     writes it to PORTFILE)
Standard library only.
"""
import email.utils
import http.server
import os
import socketserver
import sys
import threading
import time

ROOT = os.path.abspath(sys.argv[1])
LOG = os.path.join(os.path.dirname(ROOT), "requests.log")
seen = set()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def fail(self, code):
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        mode, at = "plain", None
        if parts[0] in ("cut", "stall") and len(parts) == 3:
            mode, at, name = parts[0], int(parts[1]), parts[2]
        elif parts[0] == "norange" and len(parts) == 2:
            mode, name = "norange", parts[1]
        elif len(parts) == 1:
            name = parts[0]
        else:
            return self.fail(404)
        rng = self.headers.get("Range", "")
        ifr = self.headers.get("If-Range", "")
        with lock:
            with open(LOG, "a") as f:
                f.write("%s %s %s\n" % (self.path, rng or "-", ifr or "-"))
            first = (mode, name) not in seen
            seen.add((mode, name))
        path = os.path.join(ROOT, name)
        if "/" in name or not os.path.isfile(path):
            return self.fail(404)
        st = os.stat(path)
        etag = '"%x-%x"' % (int(st.st_mtime), st.st_size)
        lastmod = email.utils.formatdate(st.st_mtime, usegmt=True)
        size = st.st_size
        start = 0
        if rng.startswith("bytes=") and mode != "norange" and (not ifr or ifr in (etag, lastmod)):
            a = rng[6:].split("-")[0]
            start = int(a)
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % size)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(size - start))
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, size - 1, size))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", lastmod)
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        limit = at if first and mode in ("cut", "stall") else None
        sent = 0
        with open(path, "rb") as f:
            f.seek(start)
            while True:
                n = 65536 if limit is None else min(65536, limit - sent)
                b = f.read(n) if n > 0 else b""
                if not b:
                    break
                try:
                    self.wfile.write(b)
                except OSError:
                    return
                sent += len(b)
        self.wfile.flush()
        if limit is None:
            return
        if mode == "cut":
            self.close_connection = True
            return
        # stall: hold the connection until the client goes away (or 10 min)
        self.connection.settimeout(1)
        for _ in range(600):
            try:
                if not self.connection.recv(1):
                    break
            except OSError as e:
                if "timed out" not in str(e):
                    break
        self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, sys.argv[2])
    srv.serve_forever()


if __name__ == "__main__":
    main()
