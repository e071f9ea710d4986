#!/usr/bin/python3
"""Servers that hold a fetch: test_fetch's limits cases.

Usage: slow_server.py MODE PORT, listening on 127.0.0.1.
  silent  accepts every connection, reads what is sent, never answers.
  drip    answers an HTTP request with a status line and then one header
          byte a second, forever: never idle long, never done.
  tls-silent CERT KEY
          completes the TLS handshake with CERT, then reads what is
          sent and never answers.
  throttle UPSTREAM RATE [STALL_AFTER]
          a TCP proxy to 127.0.0.1:UPSTREAM (a git daemon) that passes
          what the server sends at RATE bytes a second; with STALL_AFTER,
          only that many bytes, and then nothing more, never closing.
Prints "ready" once listening.
"""
import socket
import ssl
import sys
import threading
import time


def silent(conn):
    conn.settimeout(None)
    while conn.recv(4096):
        pass
    time.sleep(3600)


def drip(conn):
    conn.recv(4096)
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
    while True:
        time.sleep(1)
        conn.sendall(b"x")


def tls_silent(conn):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
        print("handshake done", flush=True)
        silent(tls)
    except (ssl.SSLError, OSError) as e:
        print("handshake failed:", e, flush=True)
        conn.close()


def pump(src, dst, rate=0, stall_after=0):
    sent = 0
    try:
        while True:
            data = src.recv(min(4096, rate // 10) if rate else 65536)
            if not data:
                break
            if stall_after and sent + len(data) > stall_after:
                data = data[: stall_after - sent]
                dst.sendall(data)
                time.sleep(3600)
            dst.sendall(data)
            sent += len(data)
            if rate:
                time.sleep(len(data) / rate)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def throttle(conn):
    upstream = socket.create_connection(("127.0.0.1", int(sys.argv[3])))
    rate = int(sys.argv[4])
    stall_after = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    threading.Thread(target=pump, args=(conn, upstream), daemon=True).start()
    pump(upstream, conn, rate, stall_after)


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    handler = {"silent": silent, "drip": drip, "tls-silent": tls_silent,
               "throttle": throttle}[mode]
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handler, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
