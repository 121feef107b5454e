"""Peak RSS of one server while a 1 GiB file is uploaded, and downloaded again.

`python -m bench.upload_memory [--mib N]` migrates a temporary SQLite database, starts the real app as
`make run` does (one uvicorn worker on 127.0.0.1) with MAX_UPLOAD_BYTES raised and STORAGE_DIR in a temporary
directory, signs up, streams an N MiB (default 1024) multipart upload generated on the fly (the client never
holds it either), downloads it back, and prints the server's RSS before, its peak during each transfer (VmRSS
sampled every 5 ms from /proc), and the size and SHA-256 checks. Exits 1 when a response is unexpected.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from bench.hash_memory import MakeRunServer, RssSampler
from bench.server import BenchError, memory_kb, run_alembic

MIB = 1024 * 1024
CHUNK = MIB
PASSWORD = "correct horse battery staple"
EMAIL = "upload-bench@example.com"
BOUNDARY = "bench-upload-boundary-7d2f"


def _block(index: int) -> bytes:
    """One MiB of the payload: varied (so nothing compresses it away) and reproducible for the checksum."""
    return hashlib.sha256(index.to_bytes(8, "big")).digest() * (CHUNK // 32)


async def _multipart(mib: int, digest: hashlib._Hash) -> AsyncIterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    for index in range(mib):
        block = _block(index)
        digest.update(block)
        yield block
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


async def _scenario(base_url: str, sampler: RssSampler, mib: int) -> dict[str, object]:
    report: dict[str, object] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=600.0) as client:
        signed_up = await client.post("/users", json={"email": EMAIL, "password": PASSWORD})
        if signed_up.status_code != 201:
            raise BenchError(f"sign-up: {signed_up.status_code} {signed_up.text}")
        token = await client.post("/token", data={"grant_type": "password", "username": EMAIL, "password": PASSWORD})
        if token.status_code != 200:
            raise BenchError(f"token: {token.status_code} {token.text}")
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        await asyncio.sleep(0.5)
        sampler.take_peak()
        report["before_kb"] = memory_kb(sampler.pid).get("VmRSS", 0)

        sent = hashlib.sha256()
        started = time.perf_counter()
        uploaded = await client.post(
            "/files",
            content=_multipart(mib, sent),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        report["upload_s"] = time.perf_counter() - started
        report["upload_peak_kb"] = sampler.take_peak()
        if uploaded.status_code != 201:
            raise BenchError(f"upload: {uploaded.status_code} {uploaded.text[:500]}")
        info = uploaded.json()
        if info["size"] != mib * MIB or info["sha256"] != sent.hexdigest():
            raise BenchError(f"stored size/sha256 differ: {info}")

        received = hashlib.sha256()
        size = 0
        started = time.perf_counter()
        async with client.stream("GET", f"/files/{info['id']}/content") as download:
            if download.status_code != 200:
                raise BenchError(f"download: {download.status_code}")
            async for chunk in download.aiter_raw():
                received.update(chunk)
                size += len(chunk)
        report["download_s"] = time.perf_counter() - started
        report["download_peak_kb"] = sampler.take_peak()
        if size != mib * MIB or received.hexdigest() != sent.hexdigest():
            raise BenchError("downloaded bytes differ from the upload")
        report["after_kb"] = memory_kb(sampler.pid).get("VmRSS", 0)
    return report


def main() -> int:
    """Run the scenario once and print the RSS figures (MiB)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024, help="upload size in MiB (default 1024 = 1 GiB)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="upload-bench-"))
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        STORAGE_DIR=str(workdir / "storage"),
        MAX_UPLOAD_BYTES=str((args.mib + 1) * MIB),
        SECRET_KEY=secrets.token_urlsafe(32),
        LOG_JSON="false",
        TMPDIR=str(workdir),  # the multipart parser spools the part here
    )
    server = MakeRunServer("impl.app:app", env, workdir / "server.log")
    try:
        run_alembic(env)
        server.start()
        server.wait_ready({})
        sampler = RssSampler(server.serving_pid())
        sampler.start()
        try:
            report = asyncio.run(_scenario(server.base_url, sampler, args.mib))
        finally:
            sampler.stop()
    except BenchError as exc:
        print(f"error: {exc}\n{server.log_tail()}", file=sys.stderr)
        return 1
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    def mib_of(key: str) -> str:
        value = report[key]
        assert isinstance(value, int)
        return f"{value / 1024:.1f} MiB"

    print(f"upload of {args.mib} MiB: {report['upload_s']:.1f} s, download: {report['download_s']:.1f} s")
    print(f"server RSS before: {mib_of('before_kb')}")
    print(f"server RSS peak during upload: {mib_of('upload_peak_kb')}")
    print(f"server RSS peak during download: {mib_of('download_peak_kb')}")
    print(f"server RSS after: {mib_of('after_kb')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
