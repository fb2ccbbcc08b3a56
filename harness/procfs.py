"""What the benches read about running processes from /proc: children, command lines, RSS, CPU
seconds (per process, per thread, the whole machine), the load average, and which TCP sockets a
process holds. Linux only.
"""

import contextlib
import os
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
    return found


def cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


def rss_kib(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    return 0.0


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each thread of `pid`."""
    out: dict[int, float] = {}
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
                fields = stat.rsplit(")", 1)[1].split()
                out[int(tid)] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, all cores, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(fields[:8])
    idle = fields[3] + fields[4]
    return (total - idle) / CLK_TCK, total / CLK_TCK


def load1() -> float:
    return os.getloadavg()[0]


def _tcp_table() -> dict[int, tuple[int, int, str]]:
    """socket inode → (local port, remote port, state) for every TCP socket on the host."""
    table: dict[int, tuple[int, int, str]] = {}
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(name).read_text().splitlines()[1:]:
                cols = line.split()
                local, remote, state, inode = cols[1], cols[2], cols[3], int(cols[9])
                table[inode] = (
                    int(local.rsplit(":", 1)[1], 16),
                    int(remote.rsplit(":", 1)[1], 16),
                    state,
                )
    return table


def _socket_inodes(pid: int) -> list[int]:
    inodes = []
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.append(int(target[8:-1]))
    return inodes


def sockets_by_pid(
    pids: list[int], local_port: int, remote_ports: tuple[int, ...]
) -> dict[str, list[int]]:
    """Per pid: established sockets accepted on `local_port` and those to each remote port."""
    table = _tcp_table()
    out: dict[str, list[int]] = {key: [] for key in ("clients", *map(str, remote_ports))}
    for pid in pids:
        counts = dict.fromkeys(out, 0)
        for inode in _socket_inodes(pid):
            entry = table.get(inode)
            if entry is None or entry[2] != "01":
                continue
            if entry[0] == local_port:
                counts["clients"] += 1
            elif str(entry[1]) in counts:
                counts[str(entry[1])] += 1
        for key, value in counts.items():
            out[key].append(value)
    return out


def tree_pids(pid: int) -> list[int]:
    out = [pid]
    for child in children(pid):
        out.extend(tree_pids(child))
    return out
