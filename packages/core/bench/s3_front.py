#!/usr/bin/python3
"""A loopback S3 stand-in, path style, for the S3 benchmarks: ListObjectsV2, HEAD and GET (with Range) of
http://127.0.0.1:PORT/BUCKET/KEY over the files of ROOT_DIR, with the same latency and bandwidth model and request
log as ../../../../shared/bench/range_server.py (each response first waits DELAY_MS + bytes / MB_PER_S; concurrent
requests wait concurrently; one log line per request: method, path, bytes sent). It answers signed and unsigned
requests alike (the signature is not checked: the client still computes it, which is part of its cost), errors as S3's
XML (NoSuchKey, NoSuchBucket, InvalidRange).
Usage: s3_front.py ROOT_DIR BUCKET LOG_FILE PORT_FILE [DELAY_MS MB_PER_S]"""
import os, re, sys, threading, time
from datetime import datetime, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

root, bucket, log, portfile = sys.argv[1:5]
delay = float(sys.argv[5]) / 1e3 if len(sys.argv) > 5 else 0.0
rate = float(sys.argv[6]) * 1e6 if len(sys.argv) > 6 else 0.0
root = os.path.abspath(root)
lock = threading.Lock()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _note(self, n):
        with lock, open(log, "a") as f:
            f.write(f"{self.command} {self.path} {n}\n")

    def _wait(self, n):
        if delay or rate:
            time.sleep(delay + (n / rate if rate else 0))

    def _target(self):
        """(bucket, key, query) of the request's path-style URL."""
        parts = urlsplit(self.path)
        path = unquote(parts.path).lstrip("/")
        name, _, key = path.partition("/")
        return name, key, parse_qs(parts.query)

    def _file(self, key):
        p = os.path.normpath(os.path.join(root, key))
        return p if p.startswith(root + os.sep) and os.path.isfile(p) else None

    def _xml(self, status, body, head=False):
        data = ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()
        self._wait(0 if head else len(data))
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", "0" if head else str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)
        self._note(0 if head else len(data))

    def _error(self, status, code, message, head=False):
        self._xml(status, f"<Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>", head)

    def _headers(self, p):
        st = os.stat(p)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", '"%x-%x"' % (int(st.st_mtime), st.st_size))
        self.send_header("Last-Modified", formatdate(st.st_mtime, usegmt=True))

    def do_HEAD(self):
        name, key, _ = self._target()
        p = self._file(key) if name == bucket else None
        if not p:
            return self._error(404, "NoSuchKey", "The specified key does not exist.", head=True)
        self._wait(0)
        self.send_response(200)
        self.send_header("Content-Length", str(os.path.getsize(p)))
        self._headers(p)
        self.end_headers()
        self._note(0)

    def do_GET(self):
        name, key, query = self._target()
        if name != bucket:
            return self._error(404, "NoSuchBucket", "The specified bucket does not exist.")
        if key == "" and query.get("list-type") == ["2"]:
            return self._list(query)
        p = self._file(key)
        if not p:
            return self._error(404, "NoSuchKey", "The specified key does not exist.")
        size = os.path.getsize(p)
        start, end, status = 0, size - 1, 200
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "") or "")
        if m:
            if m.group(1) == "":
                start, end = max(0, size - int(m.group(2))), size - 1
            else:
                start = int(m.group(1))
                end = min(size - 1, int(m.group(2))) if m.group(2) else size - 1
            if start >= size:
                return self._error(416, "InvalidRange", "The requested range is not satisfiable")
            status = 206
        n = end - start + 1
        self._wait(n)
        self.send_response(status)
        self.send_header("Content-Length", str(n))
        self._headers(p)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        with open(p, "rb") as f:
            f.seek(start)
            left = n
            while left:
                b = f.read(min(left, 1 << 20))
                if not b:
                    break
                self.wfile.write(b)
                left -= len(b)
        self._note(n)

    def _list(self, query):
        prefix = query.get("prefix", [""])[0]
        after = query.get("continuation-token", query.get("start-after", [""]))[0]
        limit = min(1000, int(query.get("max-keys", ["1000"])[0]))
        keys = []
        for directory, _, files in os.walk(root):
            for f in files:
                k = os.path.relpath(os.path.join(directory, f), root).replace(os.sep, "/")
                if k.startswith(prefix) and k > after:
                    keys.append(k)
        keys.sort()
        page, more = keys[:limit], len(keys) > limit
        items = "".join(
            f"<Contents><Key>{escape(k)}</Key><Size>{os.path.getsize(os.path.join(root, k))}</Size>"
            f"<LastModified>{datetime.fromtimestamp(os.path.getmtime(os.path.join(root, k)), timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000Z')}</LastModified></Contents>"
            for k in page
        )
        token = f"<NextContinuationToken>{escape(page[-1])}</NextContinuationToken>" if more else ""
        self._xml(
            200,
            f'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>{escape(bucket)}</Name>'
            f"<Prefix>{escape(prefix)}</Prefix><KeyCount>{len(page)}</KeyCount><MaxKeys>{limit}</MaxKeys>"
            f"<IsTruncated>{'true' if more else 'false'}</IsTruncated>{token}{items}</ListBucketResult>",
        )


ThreadingHTTPServer.request_queue_size = 1024  # an object store accepts hundreds of connections at once
ThreadingHTTPServer.daemon_threads = True
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write(str(srv.server_address[1]))
srv.serve_forever()
