#!/usr/bin/env python3
"""A certificate replaced under a running `rooms serve`: an old WebSocket stays open, a new connection gets the new
certificate. Python's standard library only (ssl + a minimal RFC 6455 client), every certificate verified against
the CA file for the host name.

  wss_reload.py HOST PORT CA_FILE NICKNAME PASSWORD ROOM_ID EXPECTED_NEW_SERIAL_FILE -- RENEW_COMMAND...

1. opens WebSocket A to the room and reads its history frame, noting the certificate's serial;
2. runs RENEW_COMMAND (certbot renew with a deploy hook that sends SIGHUP) and waits for the server to serve the
   serial in EXPECTED_NEW_SERIAL_FILE (`openssl x509 -serial` of the renewed certificate) on new connections;
3. opens WebSocket B and sends a message on it; A, still open, must receive it.
Prints one line per check, "ok: ..." or "FAIL: ...", for tests/tls/run.sh to count.
"""
import base64
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request


def connect(host, port, ca):
    ctx = ssl.create_default_context(cafile=ca)  # verifies the chain and the host name; only this CA is trusted
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname=host)


def login(host, port, ca, nickname, password):
    """A fresh access token (the server under test gives short-lived ones)."""
    ctx = ssl.create_default_context(cafile=ca)
    req = urllib.request.Request(f"https://{host}:{port}/user/login", method="POST",
                                 data=json.dumps({"nickname": nickname, "password": password}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as res:
        return json.load(res)["access_token"]


def serial_of(sock):
    der = sock.getpeercert(binary_form=True)
    pem = ssl.DER_cert_to_PEM_cert(der)
    out = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=pem.encode(), capture_output=True, check=True)
    return out.stdout.decode().strip().split("=", 1)[1].upper()


class WebSocket:
    def __init__(self, host, port, ca, path):
        self.sock = connect(host, port, ca)
        self.serial = serial_of(self.sock)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("connection closed during the WebSocket handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise RuntimeError(f"handshake answered {status!r}")

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_text(self):
        """The next text message; pings are answered, other control frames but close skipped."""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self._read(2), "big")
            elif n == 127:
                n = int.from_bytes(self._read(8), "big")
            payload = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 0x9:  # a ping: answer it, or the server drops an idle peer after chat.ping_interval_s * 2
                self.send_frame(0xA, payload)
                continue
            if opcode == 0x8:
                raise RuntimeError(f"server closed the WebSocket: {payload[:2].hex()} {payload[2:]!r}")
            if opcode == 0x1:
                return payload.decode()

    def send_text(self, text):
        self.send_frame(0x1, text.encode())

    def send_frame(self, opcode, data):
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        if len(data) < 126:
            header += bytes([0x80 | len(data)])
        else:
            header += bytes([0x80 | 126]) + len(data).to_bytes(2, "big")
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def main():
    sep = sys.argv.index("--")
    host, port, ca, nickname, password, room, serial_file = sys.argv[1:sep]
    renew = sys.argv[sep + 1:]
    port = int(port)

    def path():
        return f"/chat/rooms/{room}?access_token=Bearer%20{login(host, port, ca, nickname, password)}"

    failures = 0

    def check(ok, what):
        nonlocal failures
        print(("ok: " if ok else "FAIL: ") + what, flush=True)
        failures += 0 if ok else 1

    a = WebSocket(host, port, ca, path())
    history = json.loads(a.read_text())
    check(isinstance(history, list), f"wss WebSocket A open, certificate serial {a.serial}, history frame read")

    r = subprocess.run(renew)
    check(r.returncode == 0, f"renewal command exited {r.returncode}")
    expected = open(serial_file).read().strip().split("=", 1)[-1].upper()
    check(expected != a.serial, f"the renewed certificate has a new serial ({expected})")

    served = None
    deadline = time.time() + 10
    while time.time() < deadline:
        s = connect(host, port, ca)
        served = serial_of(s)
        s.close()
        if served == expected:
            break
        time.sleep(0.2)
    check(served == expected, f"a new connection after SIGHUP gets the renewed certificate (served {served})")

    b = WebSocket(host, port, ca, path())
    json.loads(b.read_text())
    content = f"after reload {time.time()}"
    b.send_text(content)
    got = None
    a.sock.settimeout(10)
    try:
        while True:
            m = json.loads(a.read_text())
            if isinstance(m, dict) and m.get("type") == "message" and m.get("content") == content:
                got = m
                break
    except Exception as e:  # noqa: BLE001 - reported as the check's failure
        print(f"WebSocket A: {e}", flush=True)
    check(got is not None, "WebSocket A, opened before the reload, stays open and receives B's message")
    a.sock.close()
    b.sock.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
