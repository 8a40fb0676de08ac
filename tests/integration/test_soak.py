"""Soak, short variant (issue #9): the mixed KV-segment workload of
soak_driver.py over 256 concurrent keep-alive connections against a real
`kvgate serve` (the test build: ASan + UBSan) for KVGATE_SOAK_SECONDS
(default 120), sampled every 5 s. perf/soak.sh runs the same driver for 30
minutes against a Release build.

max_inflight_requests = 192 < 256 connections, so the admission limit is
reached all the time: 503 SlowDown with Retry-After is expected and honoured
(back-off), and is the only failure allowed.

Bounds (soak_report.py; the reasons are in docs/reliability.md, "Soak"):
  - no unexpected status, transport error or wrong byte; every interval
    completes requests; kvgate exits 0 on SIGTERM afterwards;
  - 256 connections really open at once;
  - RSS after the first 20 % (warm-up): the last third's highest <= the
    first third's highest x 1.25 + 96 MiB (ASan's 256 MiB quarantine and its
    allocator's per-thread caches fill during the warm-up and then stay);
  - descriptors: <= baseline + 256 + 192 x 6 + 64 throughout, the thirds'
    medians of the non-file descriptors (sockets, pipes, eventfds) within 64
    of each other (the file count follows the in-flight shard files), back to the baseline +- 8 after the
    clients closed;
  - latency: the median of the last third's interval p99s <= 3 x the first
    third's (other builds share the 2 cores: a single interval may spike).
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import soak_report  # noqa: E402
from kvgate_harness import kvgate_binary  # noqa: E402
from soak_driver import Soak, soak_server, raise_open_file_limit  # noqa: E402

ACCESS, SECRET = "soak-root", "soak-root-secret-key"
CONNECTIONS = 256
MAX_INFLIGHT = 192
DISKS = 6
SECONDS = float(os.environ.get("KVGATE_SOAK_SECONDS", "120"))
INTERVAL = 5.0
WARMUP = 0.2
BOUNDS = {"rss_factor": 1.25, "rss_slack_mib": 96, "p99_factor": 3.0, "fd_slack": 64,
          "fd_return_slack": 8, "warmup": WARMUP}


class Soak256(unittest.TestCase):
    def test_mixed_load_on_256_connections_holds_memory_descriptors_and_latency(self):
        if not os.path.isdir("/proc/self/fd"):
            print("SKIPPED: no /proc (the server's RSS and descriptors are read there)")
            self.skipTest("no /proc")
        need = CONNECTIONS + MAX_INFLIGHT * DISKS + 256
        if raise_open_file_limit() < need:
            print(f"SKIPPED: open-file limit below {need} for 256 connections on both sides")
            self.skipTest("open-file limit")
        srv = soak_server(kvgate_binary(), ACCESS, SECRET, MAX_INFLIGHT)
        try:
            run = Soak(srv.port, ACCESS, SECRET, srv.proc.pid, connections=CONNECTIONS,
                       seconds=SECONDS, interval=INTERVAL, max_inflight=MAX_INFLIGHT,
                       disks=DISKS, log=lambda s: print(s, flush=True)).run()
            code = srv.stop(timeout=30)
        finally:
            srv.stop()
            srv.cleanup()
        print(soak_report.table(run), flush=True)
        figures = soak_report.summary(run, WARMUP)
        print("soak summary: " + json.dumps(figures), flush=True)
        self.assertEqual(code, 0, "kvgate did not exit cleanly after the soak")
        self.assertEqual(run["connections_open_max"], CONNECTIONS)
        # ... and the server held them: one socket each above its baseline.
        self.assertGreaterEqual(figures["fd_max"], run["fd_baseline"] + CONNECTIONS)
        self.assertGreater(run["totals"]["verified_gets"], 0)
        self.assertGreater(run["totals"]["final_verified"], CONNECTIONS)
        self.assertEqual(soak_report.check(run, **BOUNDS), [])


if __name__ == "__main__":
    unittest.main()
