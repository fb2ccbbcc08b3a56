"""The local production-topology harness, shared by bench/ and tests/.

Process stacks (uvicorn, Celery workers and beat, the fake LLM) started and stopped by pid
(`stack`), what /proc says about them (`procfs`), private PostgreSQL clusters and Redis servers
on free loopback ports (`servers`), simulated WebSocket candidates (`ws_clients`, and the
fault-riding `chaos_clients`), and the chaos world (`world`) with its audit (`audit`) and record
(`report`).

The benches use it from their command lines (bench/ws_load.py, bench/chaos.py, ...); the tests
import it as a package (tests/e2e/test_scale_out.py) or run it through bench/chaos.py
(tests/chaos/). The project itself never imports it.
"""
