"""A separate process that reports its view of one breaker's configuration.

Run as `python -m tests.resilience.config_probe NAME` with DATABASE_URL pointing at the test
database. It prints a JSON line (threshold, mode, whether a call is rejected, wall time) at
start and whenever that view changes, polling every 20 ms, for at most 60 s.
"""

import json
import os
import sys
import time

import django


def main(name: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewsite.settings")
    django.setup()
    from resilience.breakers import BreakerOpen, get_breaker

    breaker = get_breaker(name)
    last = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        policy = breaker.policy
        try:
            breaker.call(lambda: None)
            rejects = False
        except BreakerOpen:
            rejects = True
        view = (policy.failure_threshold, str(policy.mode), rejects)
        if view != last:
            last = view
            threshold, mode, rejected = view
            line = {"threshold": threshold, "mode": mode, "rejects": rejected, "at": time.time()}
            print(json.dumps(line), flush=True)
        time.sleep(0.02)


if __name__ == "__main__":
    main(sys.argv[1])
