#!/usr/bin/python3
"""Servers that hold a fetch: test_fetch's limits cases.

Usage: slow_server.py MODE PORT, listening on 127.0.0.1.
  silent  accepts every connection, reads what is sent, never answers.
  drip    answers an HTTP request with a status line and then one header
          byte a second, forever: never idle long, never done.
Prints "ready" once listening.
"""
import socket
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


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    handler = {"silent": silent, "drip": drip}[mode]
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
