#!/usr/bin/env python3
"""A loopback HTTP server for the fetch tests: good files, ranges, truncated and stalled
transfers, redirects, error statuses. Binds 127.0.0.1 on a free port, writes the port to
PORTFILE and one JSON line per request to LOGFILE. Exits by itself after --lifetime seconds.

Routes (NAME is a file under DOCROOT):
  /files/NAME          the file, honouring Range
  /truncate-once/NAME  first request: full Content-Length, half the body, then close
  /stall/NAME          headers and 16 bytes, then silence until the client gives up
  /slow/NAME           the file in 8 pieces over about 2 seconds
  /norange/NAME        the file, ignoring Range (always 200)
  /flaky/NAME          first request 503, then the file
  /redirect/NAME       302 to /files/NAME
  /redirect-ftp        302 to an ftp:// URL
  /status/CODE         that status, empty body
  /archive/PATH        DOCROOT/archive/PATH (nested paths: a Debian mirror's layout)
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, logfile, docroot = sys.argv[1], sys.argv[2], sys.argv[3]
lifetime = float(sys.argv[4]) if len(sys.argv) > 4 else 300
seen = set()
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self):
        with lock, open(logfile, "a") as f:
            f.write(json.dumps({"path": self.path, "range": self.headers.get("Range")}) + "\n")

    def first_time(self, key):
        with lock:
            if key in seen:
                return False
            seen.add(key)
            return True

    def body(self, name):
        path = os.path.join(docroot, os.path.basename(name))
        with open(path, "rb") as f:
            return f.read()

    def send_file(self, data, honour_range=True):
        start = 0
        rng = self.headers.get("Range")
        if honour_range and rng and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])

    def status(self, code, location=None):
        self.send_response(code)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        self.record()
        parts = self.path.split("/", 2)
        route = parts[1] if len(parts) > 1 else ""
        name = parts[2] if len(parts) > 2 else ""
        try:
            if route == "files":
                self.send_file(self.body(name))
            elif route == "norange":
                self.send_file(self.body(name), honour_range=False)
            elif route == "truncate-once":
                data = self.body(name)
                if self.first_time(self.path) and not self.headers.get("Range"):
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.send_file(data)
            elif route == "stall":
                data = self.body(name)
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[:16])
                self.wfile.flush()
                time.sleep(30)
                self.close_connection = True
            elif route == "slow":
                data = self.body(name)
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                step = max(1, len(data) // 8 + 1)
                for i in range(0, len(data), step):
                    self.wfile.write(data[i : i + step])
                    self.wfile.flush()
                    time.sleep(0.25)
            elif route == "flaky":
                if self.first_time(self.path):
                    self.status(503)
                else:
                    self.send_file(self.body(name))
            elif route == "redirect":
                self.status(302, "/files/" + name)
            elif route == "redirect-ftp":
                self.status(302, "ftp://127.0.0.1/whatever")
            elif route == "status":
                self.status(int(name))
            elif route == "archive":
                root = os.path.realpath(os.path.join(docroot, "archive"))
                path = os.path.realpath(os.path.join(root, name))
                if not path.startswith(root + "/") or not os.path.isfile(path):
                    self.status(404)
                else:
                    with open(path, "rb") as f:
                        self.send_file(f.read())
            else:
                self.status(404)
        except FileNotFoundError:
            self.status(404)
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that hang up on purpose (timeouts, SIGKILL) are part of the tests


server = Server(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
threading.Timer(lifetime, server.shutdown).start()
server.serve_forever()
