#!/usr/bin/env python3
"""A scriptable, misbehaving fastboot-over-TCP phone for romflash's tests.

It speaks fastboot's TCP transport v1 (both sides send "FB01", then every
message is an 8-byte big-endian length and the payload) and behaves like a
cancro bootloader until the command selected with --at arrives (default: the
first command), where it misbehaves as --mode says:

  garbage     answer bytes that are no fastboot reply
  long        answer a 300-byte reply (replies are at most 256 bytes)
  wrongdata   answer a download with DATA of another size than asked
  closedl     answer DATA, take part of the data, then close the connection
  silent      never answer (keeps the connection open)
  hugeframe   announce a frame of 2^40 bytes
  badshake    answer the handshake with "XX01" (--at is ignored)
  close       close the connection without answering

The misbehaviour happens once per connection.  It serves connections one
after another until killed; --port 0 picks a free port, written to
--port-file once listening.  Only 127.0.0.1.
"""
import argparse
import os
import socket
import struct
import sys
import time

PRODUCT = b"MSM8974"


def recv_exact(conn, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def recv_frame(conn):
    (n,) = struct.unpack(">Q", recv_exact(conn, 8))
    return recv_exact(conn, n)


def send_frame(conn, payload):
    conn.sendall(struct.pack(">Q", len(payload)) + payload)


def normal_reply(cmd, max_dl):
    if cmd.startswith(b"getvar:"):
        name = cmd[7:]
        if name == b"product":
            return b"OKAY" + PRODUCT
        if name == b"serialno":
            return b"OKAYFAKE0001"
        if name == b"max-download-size":
            return b"OKAY\t0x%08x" % max_dl
        if name == b"all" or name.startswith(b"partition-"):
            return b"OKAY"
        return b"FAILGetVar Variable Not found"
    if cmd.startswith((b"flash:", b"erase:")) or cmd in (b"reboot", b"reboot-bootloader"):
        return b"OKAY"
    return b"FAILunknown command"


def take_download(conn, size):
    """Read `size` download bytes, which arrive in frames of any length."""
    got = 0
    while got < size:
        got += len(recv_frame(conn))
    return got


def serve(conn, args):
    """One connection.  Returns when the peer closes or we end it."""
    shake = recv_exact(conn, 4)
    if args.mode == "badshake":
        conn.sendall(b"XX01")
        time.sleep(0.5)
        return
    conn.sendall(b"FB01")
    if shake != b"FB01":
        return
    misbehaved = False
    while True:
        cmd = recv_frame(conn)
        trigger = not misbehaved and cmd.startswith(args.at.encode())
        if trigger:
            misbehaved = True
            m = args.mode
            if m == "garbage":
                send_frame(conn, b"\x00\x17zq\xffWHAT?")
                continue
            if m == "long":
                send_frame(conn, b"OKAY" + b"x" * 296)
                continue
            if m == "silent":
                time.sleep(3600)
                return
            if m == "hugeframe":
                conn.sendall(struct.pack(">Q", 1 << 40) + b"OKAY")
                time.sleep(1)
                return
            if m == "close":
                return
            if cmd.startswith(b"download:"):
                size = int(cmd[9:], 16)
                if m == "wrongdata":
                    send_frame(conn, b"DATA%08x" % (size // 2 + 1))
                    continue
                if m == "closedl":
                    send_frame(conn, b"DATA%08x" % size)
                    take_download(conn, min(size, 65536) // 2)
                    return
        if cmd.startswith(b"download:"):
            size = int(cmd[9:], 16)
            if size > args.max_download:
                send_frame(conn, b"FAILdata too large")
                continue
            send_frame(conn, b"DATA%08x" % size)
            take_download(conn, size)
            send_frame(conn, b"OKAY")
            continue
        send_frame(conn, normal_reply(cmd, args.max_download))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", required=True,
                    choices=["garbage", "long", "wrongdata", "closedl", "silent",
                             "hugeframe", "badshake", "close", "none"])
    ap.add_argument("--at", default="", help="command prefix that triggers it")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--max-download", type=lambda s: int(s, 0), default=0x400000)
    args = ap.parse_args()

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(4)
    port = srv.getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(args.port_file + ".tmp", args.port_file)
    print("fakephone: %s on 127.0.0.1:%d" % (args.mode, port), flush=True)
    while True:
        conn, _ = srv.accept()
        try:
            serve(conn, args)
        except (EOFError, ConnectionError):
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
