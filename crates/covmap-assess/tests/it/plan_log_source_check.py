#!/usr/bin/env python3
"""Independent figures for the `log-source` actions of `covmap plan` on
fixtures/telemetry/basic.yaml (crates/covmap-cli/tests/it/plan.rs).

Reads the STIX bundle directly with telemetry_check.py's matching rule (no covmap code): for
a log source (name, channel) onboarded alone on top of scenario `basic` (collected in full on
the platforms in scope where it is not collected yet), the analytics that become feasible on
an in-scope platform.

Usage: plan_log_source_check.py BUNDLE (run from the repository root)
"""
import json
import sys

# The helpers of telemetry_check.py (its `main` reads other arguments).
exec(open("crates/covmap-assess/tests/it/telemetry_check.py").read().split("\ndef main")[0])

objs = json.load(open(sys.argv[1]))["objects"]
scope = ["Linux", "Windows"]
col = Collected()
for code in ("EventCode=1", "EventCode=3", "EventCode=22"):
    col.add("Windows", "WinEventLog:Sysmon", [code], 0.8)
col.add("Windows", "WinEventLog:Security", [], 1.0)
col.add("Linux", "auditd:SYSCALL", ["execve"], 0.5)
analytics = [o for o in objs if o["type"] == "x-mitre-analytic" and active(o)]
def feasible(c, a, p):
    rs = sorted({(x["name"], x["channel"]) for x in a.get("x_mitre_log_source_references", [])})
    return p in a["x_mitre_platforms"] and bool(rs) and all(c.ref(p, n, ch) > 0 for n, ch in rs)
for n, ch in [("WinEventLog:Sysmon", "EventCode=7"), ("WinEventLog:Sysmon", "EventCode=11")]:
    c2 = Collected(); c2.state = {k: [v[0], dict(v[1])] for k, v in col.state.items()}
    for p in scope:
        if col.ref(p, n, ch) == 0:
            c2.add(p, n, [ch], 1.0)
    gained = sorted(ext_id(a) for a in analytics if any(feasible(c2, a, p) and not feasible(col, a, p) for p in scope))
    print(n, ch, len(gained), gained[0], gained[-1])
