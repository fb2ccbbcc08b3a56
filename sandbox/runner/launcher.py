# The first process of a run (docs/sandbox.md, "Isolation"). With isolation it is PID 1 of a
# new PID, mount and network namespace and still root: it hides the host's paths behind empty
# mounts, gives the run a private size-limited /tmp, then forks the child that drops to the
# run's own unprivileged uid under the resource limits and runs the harness. Being root and
# PID 1, it cannot be signalled or traced by the code it runs, and when it exits the kernel
# kills every process left in the namespace. It relays the child's per-test lines to the
# caller after checking their shape, and ends with one "exit" line: the child's exit status
# and CPU time, which tell the caller which limit stopped the run.
import ctypes
import fcntl
import json
import os
import resource
import select
import signal
import struct
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 1, 2, 4, 8, 32, 4096
SYS_MOUNT_SETATTR, AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = 442, -100, 0x8000, 1
PR_SET_NO_NEW_PRIVS = 38

# One line of JSON. Stdin then stays open as the lifeline: it reaches end-of-file when the
# worker that started the run is gone (it closes it when done, the kernel when it dies).
spec = json.loads(sys.stdin.buffer.readline())
LIFELINE = 0
# A single relayed line: the harness keeps each below this (sandbox/runner/__init__.py).
LINE_CAP = spec["job"]["line_cap"]
out_fd = spec["results_fd"]
libc = ctypes.CDLL(None, use_errno=True)


def emit(obj):
    data = (json.dumps(obj) + "\n").encode()
    while data:
        data = data[os.write(out_fd, data) :]


def mount(source, target, fstype, flags, options):
    if libc.mount(source.encode(), target.encode(), fstype.encode(), flags, options.encode()):
        err = ctypes.get_errno()
        raise OSError(err, f"mount {fstype} on {target}: {os.strerror(err)}")


def read_only_everywhere():
    """Every mount of the run's namespace read-only (mount_setattr with AT_RECURSIVE, Linux
    5.12+; else each mount remounted). Device nodes such as /dev/null stay usable."""
    attr = struct.pack("QQQQ", MOUNT_ATTR_RDONLY, 0, 0, 0)
    if libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, b"/", AT_RECURSIVE, attr, len(attr)) == 0:
        return
    with open("/proc/self/mountinfo") as table:
        targets = [line.split()[4] for line in table]
    for target in targets:
        # Already read-only, or gone under a later mount: nothing to do.
        libc.mount(b"none", target.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)


def isolate_filesystem(uid, gid, file_bytes):
    hidden = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
    # /run holds the host's Unix sockets (PostgreSQL's among them): the network namespace
    # does not cover those, so they are hidden with the rest.
    for path in [*spec["hide"], "/run", "/var/tmp", "/dev/shm"]:  # noqa: S108 (hidden)
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", hidden, "size=4k,mode=000")
    read_only_everywhere()
    # The run's only writable place; its size bounds all files together, not just one.
    private = f"size={max(file_bytes, 4096)},mode=700,uid={uid},gid={gid}"
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, private)  # noqa: S108


def limit_and_drop(limits, uid, gid, node):
    cpu = max(1, int(limits["cpu_seconds"] + 0.999))
    memory = limits["memory_bytes"]
    if node:
        # V8 reserves about 1 GiB of address space up front; its heap is capped separately.
        memory += 1 << 30
    for name, value in (
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (memory, memory)),
        (resource.RLIMIT_FSIZE, (limits["file_bytes"], limits["file_bytes"])),
        (resource.RLIMIT_NPROC, (limits["processes"], limits["processes"])),
        (resource.RLIMIT_NOFILE, (64, 64)),
        (resource.RLIMIT_CORE, (0, 0)),
    ):
        resource.setrlimit(name, value)
    if uid is not None:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def child(write_fd, setup_fd):
    os.dup2(write_fd, 3)
    for fd in (write_fd, out_fd):
        if fd != 3:
            os.close(fd)
    if spec["isolate"]:
        os.chdir("/tmp")  # noqa: S108
    node = spec["language"] == "javascript"
    limit_and_drop(spec["limits"], spec["uid"], spec["gid"], node)
    if node:
        memfd = os.memfd_create("spec")
        os.write(memfd, json.dumps(spec["job"]).encode())
        os.lseek(memfd, 0, os.SEEK_SET)
        os.dup2(memfd, 0)
        os.close(memfd)
        heap = max(16, spec["limits"]["memory_bytes"] >> 20)
        argv = [spec["node"], f"--max-old-space-size={heap}", "-e", spec["harness"]]
        os.execv(spec["node"], argv)  # noqa: S606 (a successful exec closes setup_fd)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    scope = {"__name__": "__harness__", "JOB": spec["job"]}
    os.close(setup_fd)  # set up: from here on, whatever happens is the code's doing
    exec(compile(spec["harness"], "<harness>", "exec"), scope)  # noqa: S102
    os._exit(0)


class Relay:
    """Checks each line the child writes before passing it on: a known kind, a test index in
    range and not seen before. A line that breaks the rules ends the relay."""

    def __init__(self, count):
        self.count = count
        self.seen = set()
        self.buffer = b""
        self.broken = ""

    def feed(self, data):
        if self.broken:
            return
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            self.line(line)
        if len(self.buffer) > LINE_CAP:
            self.broken = "a result line was too long"

    def line(self, raw):
        if not raw.strip():
            return
        try:
            item = json.loads(raw)
            kind = item["kind"]
            if kind == "test":
                index = item["index"]
                if type(index) is not int or not 0 <= index < self.count or index in self.seen:
                    raise ValueError(f"test index {index!r} out of range or repeated")
                self.seen.add(index)
            elif kind != "load":
                raise ValueError(f"unknown kind {kind!r}")
        except (ValueError, KeyError, TypeError) as exc:
            self.broken = f"the harness protocol was broken: {exc}"
            return
        emit(item)


def supervise(pid, read_fd, setup_read, count):
    relay = Relay(count)
    status = usage = None
    while status is None:
        ready, _, _ = select.select([read_fd, LIFELINE], [], [], 0.05)
        if LIFELINE in ready and not os.read(LIFELINE, 1):
            # The worker died mid-run (its hard time limit, an OOM kill): nobody will read the
            # results, so the run ends now; as PID 1, the whole namespace with it.
            os.killpg(0, signal.SIGKILL)
        if read_fd in ready:
            data = os.read(read_fd, 65536)
            if data:
                relay.feed(data)
        # PID 1 reaps every orphan in the namespace; only the child's status matters.
        while True:
            try:
                done, code, rusage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if done == 0:
                break
            if done == pid:
                status, usage = code, rusage
    os.set_blocking(read_fd, False)
    try:
        while data := os.read(read_fd, 65536):
            relay.feed(data)
    except BlockingIOError:
        pass  # a grandchild still holds the pipe; what it writes after the child died is lost
    setup_error = os.read(setup_read, 4096).decode(errors="replace")  # written before it exited
    emit({
        "kind": "exit",
        "setup_error": setup_error,
        "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "cpu": usage.ru_utime + usage.ru_stime,
        "broken": relay.broken,
    })  # fmt: skip


def main():
    uid, gid = spec["uid"], spec["gid"]
    if spec["isolate"]:
        isolate_filesystem(uid, gid, spec["limits"]["file_bytes"])
    read_fd, write_fd = os.pipe()
    # The child reports a failed set-up here. The pipe is closed before the code runs (or by
    # the exec into node), so the code can never claim that the sandbox failed.
    setup_read, setup_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        setup_fd = fcntl.fcntl(setup_write, fcntl.F_DUPFD_CLOEXEC, 10)  # clear of fd 3
        try:
            for fd in (read_fd, setup_read, setup_write):
                os.close(fd)
            child(write_fd, setup_fd)
        except BaseException as exc:
            os.write(setup_fd, f"{type(exc).__name__}: {exc}".encode()[:2000])
        finally:
            os._exit(70)
    os.close(write_fd)
    os.close(setup_write)
    supervise(pid, read_fd, setup_read, len(spec["job"]["args"]))


main()
