"""Staff alerts shared by every subsystem: the sender in `services`, the throttle in `models`."""
