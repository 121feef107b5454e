"""The processes the bench, the soak and the tests start: found, stopped with their whole group, and read in /proc."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


class TopologyError(RuntimeError):
    """A process of the topology (HAProxy, Redis, an app instance) did not start or stop as it must."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def find_program(name: str) -> str | None:
    """A console script of this virtualenv (next to the interpreter), else a program on PATH or in /usr/sbin (where
    Debian puts haproxy, off a normal user's PATH)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name) or shutil.which(name, path="/usr/local/sbin:/usr/sbin:/sbin")


def require_program(name: str) -> str:
    """`find_program(name)`; TopologyError when it is not installed."""
    found = find_program(name)
    if found is None:
        raise TopologyError(f"{name} is not installed (Debian packages: `apt-get install haproxy redis-server`)")
    return found


def tail(path: Path, chars: int = 3000) -> str:
    """The end of a log file."""
    try:
        return path.read_text(errors="replace")[-chars:]
    except FileNotFoundError:
        return "(no log)"


def group_alive(pgid: int) -> bool:
    """Whether any process of process group `pgid` is left."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def kill_group(process: subprocess.Popen[bytes]) -> int:
    """SIGKILL the process and every other process of the group it leads (uvicorn's workers, taskiq's) and wait
    until none is left (its port is free again); its exit status."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    status = process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return status


def stop_group(process: subprocess.Popen[bytes], *, timeout: float = 20.0, leader_only: bool = False) -> None:
    """SIGTERM the process group `process` leads (`leader_only`: the process alone, as an orchestrator signals a
    container; uvicorn's supervisor stops its workers itself), then SIGKILL whatever outlives `timeout` seconds."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            if leader_only:
                process.send_signal(signal.SIGTERM)
            else:
                os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    # A worker may outlive its supervisor for a moment: nothing of the group may stay behind.
    kill_group(process)


def _parents() -> dict[int, list[int]]:
    """Every process's children, by parent pid, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the parent pid is the second field after it.
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def children(pid: int) -> list[int]:
    """The direct children of `pid`."""
    return _parents().get(pid, [])


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's supervisor and its workers)."""
    by_parent = _parents()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(by_parent.get(current, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """The user + system CPU time `pid` has used so far, in seconds (0 if the process is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2 :].split()
    # Fields 14 and 15 of proc(5) (utime, stime), counted from the state field (3).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid` in kB (empty if the process is gone)."""
    out: dict[str, int] = {}
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (VmRSS), 0 once it is gone."""
    return memory_kb(pid).get("VmRSS", 0) * 1024


def local_tcp_ports(pids: list[int]) -> set[int]:
    """Local TCP ports of the sockets these processes hold (their database connections among them)."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


__all__ = [
    "HOST",
    "ROOT",
    "TopologyError",
    "children",
    "cpu_seconds",
    "find_program",
    "free_port",
    "group_alive",
    "kill_group",
    "local_tcp_ports",
    "memory_kb",
    "process_tree",
    "require_program",
    "rss_bytes",
    "stop_group",
    "tail",
]
