#!/usr/bin/env python3
"""A webhook receiver for tests/daemon/notify.sh: appends each POST body as
one line to OUT and answers 200; with --hang it accepts and never answers;
with --cert/--key it serves https.

  webhook_receiver.py PORT OUT [--hang] [--cert FILE --key FILE]
"""
import http.server
import socket
import ssl
import sys
import time

port, out = int(sys.argv[1]), sys.argv[2]
args = sys.argv[3:]

if "--hang" in args:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)
    held = []
    while True:
        conn, _ = server.accept()
        held.append(conn)  # read nothing, answer nothing
        with open(out, "a") as f:
            f.write("connection\n")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(out, "ab") as f:
            f.write(self.path.encode() + b" " + body + b"\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


httpd = http.server.HTTPServer(("127.0.0.1", port), Handler)
if "--cert" in args:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args[args.index("--cert") + 1], args[args.index("--key") + 1])
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
httpd.serve_forever()
