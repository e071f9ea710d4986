#!/usr/bin/python3
"""Servers that hold a fetch: test_fetch's limits cases.

Usage: slow_server.py MODE PORT, listening on 127.0.0.1.
  silent  accepts every connection, reads what is sent, never answers.
  drip    answers an HTTP request with a status line and then one header
          byte a second, forever: never idle long, never done.
  tls-silent CERT KEY
          completes the TLS handshake with CERT, then reads what is
          sent and never answers.
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


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    handler = {"silent": silent, "drip": drip, "tls-silent": tls_silent}[mode]
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
