#!/usr/bin/env python3
"""Independent figures for tests/it/onboarding.rs and the CLI's `covmap telemetry` tests.

Reads an ATT&CK 18 STIX bundle directly (no covmap code) and applies issue 19's rules:
a reference (name, channel) is collected on a platform when a telemetry entry there collects
the name with every channel, lists the channel, or (for `EventCode=A, B`) lists each code; its
value is the entry's quality (x the filtered factor when filtered), the best entry counting. An
analytic's value on a platform is the mean of its distinct references' values; feasible when all
are collected. A leaf's visibility on a platform is the best value among the active analytics of
the active detection strategies that `detects` it (active relationships) and apply there; its
visibility is the mean over its in-scope platforms. Onboarding: greedy over the distinct
references (name key, channel keys), each added as collected at quality 1 on the platforms in scope
where it is not collected yet (those already collected where an analytic
names them are not candidates), by Σ weight x Δ visibility, then Σ Δ, then (name, channel); full recomputation per round.

Usage: telemetry_check.py BUNDLE SCENARIO STEPS
SCENARIO `basic`: scope Windows, Linux; telemetry Sysmon EventCode=1/3/22 on Windows at 0.8,
WinEventLog:Security whole on Windows, auditd:SYSCALL execve on Linux filtered (0.5); detect
coverage on T1059.001 only; no threats, no typed visibility.
"""
import json
import sys


def norm(text):
    return " ".join(text.split()).lower()


def keys(channel):
    t = channel.strip()
    if "=" in t:
        key, codes = t.split("=", 1)
        key = key.strip()
        parts = [c.strip() for c in codes.split(",") if c.strip()]
        if key.lower() == "eventcode" and len(parts) > 1 and all(p.isdigit() for p in parts):
            return [norm(f"{key}={c}") for c in parts]
    return [norm(t)]


def active(o):
    return not o.get("revoked") and not o.get("x_mitre_deprecated")


def ext_id(o):
    for r in o.get("external_references", []):
        if r.get("source_name") in ("mitre-attack",) and r.get("external_id"):
            return r["external_id"]
    return None


class Collected:
    def __init__(self):
        self.state = {}  # (platform, name key) -> [all, {channel key: value}]

    def add(self, platform, name, channels, value):
        st = self.state.setdefault((platform, norm(name)), [0.0, {}])
        if not channels:
            st[0] = max(st[0], value)
        for ch in channels:
            for k in keys(ch):
                st[1][k] = max(st[1].get(k, 0.0), value)

    def ref(self, platform, name, channel):
        st = self.state.get((platform, norm(name)))
        if st is None:
            return 0.0
        listed = st[1].get(norm(channel), 0.0)
        by_codes = min(st[1].get(k, 0.0) for k in keys(channel))
        return max(st[0], listed, by_codes)


def main():
    bundle, scenario, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    objs = json.load(open(bundle))["objects"]
    by_id = {o["id"]: o for o in objs}
    scope = ["Linux", "Windows"]
    assert scenario == "basic"
    col = Collected()
    for code in ("EventCode=1", "EventCode=3", "EventCode=22"):
        col.add("Windows", "WinEventLog:Sysmon", [code], 0.8)
    col.add("Windows", "WinEventLog:Security", [], 1.0)
    col.add("Linux", "auditd:SYSCALL", ["execve"], 0.5)
    detected = {"T1059.001"}

    techniques = {o["id"]: o for o in objs if o["type"] == "attack-pattern" and active(o)}
    parents_with_subs = set()
    for o in techniques.values():
        if o.get("x_mitre_is_subtechnique"):
            parents_with_subs.add(ext_id(o).split(".")[0])
    leaves = {}
    for o in techniques.values():
        tid = ext_id(o)
        if not o.get("x_mitre_is_subtechnique") and tid in parents_with_subs:
            continue
        plats = sorted(set(o.get("x_mitre_platforms", [])) & set(scope))
        if plats:
            leaves[tid] = (o["id"], plats)
    analytics = {o["id"]: o for o in objs if o["type"] == "x-mitre-analytic" and active(o)}
    strategies = {o["id"]: o for o in objs if o["type"] == "x-mitre-detection-strategy" and active(o)}
    leaf_analytics = {tid: set() for tid in leaves}
    stix_to_leaf = {v[0]: k for k, v in leaves.items()}
    for r in objs:
        if r["type"] != "relationship" or r.get("relationship_type") != "detects" or not active(r):
            continue
        s = strategies.get(r["source_ref"])
        tid = stix_to_leaf.get(r["target_ref"])
        if s is None or tid is None:
            continue
        for a in s.get("x_mitre_analytic_refs", []):
            if a in analytics:
                leaf_analytics[tid].add(a)

    cache = {a: sorted({(x["name"], x["channel"]) for x in analytics[a].get("x_mitre_log_source_references", [])})
             for a in analytics}

    def refs_of(a):
        return cache[a]

    def value(c, a, p):
        if p not in analytics[a]["x_mitre_platforms"]:
            return 0.0, False
        rs = refs_of(a)
        if not rs:
            return 0.0, False
        vals = [c.ref(p, n, ch) for n, ch in rs]
        return sum(vals) / len(vals), all(v > 0 for v in vals)

    def visibility(c):
        out = {}
        for tid, (_, plats) in leaves.items():
            out[tid] = sum(max([value(c, a, p)[0] for a in leaf_analytics[tid]] + [0.0]) for p in plats) / len(plats)
        return out

    in_scope_analytics = [a for a in analytics if set(analytics[a]["x_mitre_platforms"]) & set(scope)]
    feasible = sorted(ext_id(analytics[a]) for a in in_scope_analytics
                      if any(value(col, a, p)[1] for p in scope))
    print("analytics", len(in_scope_analytics), "feasible", len(feasible))
    print("feasible_ids", " ".join(feasible))
    vis = visibility(col)
    print("leaves", len(leaves), "visibility %.6f" % (sum(vis.values()) / len(leaves)))
    quick = sorted(tid for tid, (_, plats) in leaves.items() if tid not in detected and any(
        value(col, a, p)[1] for a in leaf_analytics[tid] for p in plats))
    blind = [tid for tid, (_, plats) in leaves.items() if not any(
        value(col, a, p)[1] for a in leaf_analytics[tid] for p in plats)]
    print("quick_wins", len(quick), " ".join(quick))
    print("blind_spots", len(blind), "without_analytics", sum(1 for t in blind if not any(
        p in analytics[a]["x_mitre_platforms"] for a in leaf_analytics[t] for p in leaves[t][1])))

    # Candidates: distinct (name key, channel keys), labelled by the smallest spelling.
    pairs = set()
    for a in in_scope_analytics:
        pairs.update(refs_of(a))
    cands = {}
    for n, ch in sorted(pairs):
        k = (norm(n), tuple(sorted(set(keys(ch)))))
        cands.setdefault(k, (n, ch))
    used_of = {}
    for a in in_scope_analytics:
        for pair in refs_of(a):
            used_of.setdefault(pair, set()).update(set(analytics[a]["x_mitre_platforms"]) & set(scope))
    # Log sources collected where an analytic names them (the `log-source` rows).
    print("log_sources", sum(1 for pair, plats in used_of.items() if any(col.ref(p, *pair) > 0 for p in plats)))
    picked = []
    base = sum(vis.values())
    n_leaves = len(leaves)
    # gaps --by log-source: per candidate alone, the leaves whose visibility it raises.
    rollup = []
    reached = set()
    for n, ch in cands.values():
        if all(col.ref(p, n, ch) > 0 for p in used_of[(n, ch)]):
            continue
        c2 = Collected()
        c2.state = {k: [v[0], dict(v[1])] for k, v in col.state.items()}
        for p in scope:
            if col.ref(p, n, ch) == 0:
                c2.add(p, n, [ch], 1.0)
        raised = [tid for tid, (_, plats) in leaves.items()
                  if any(norm(x) == norm(n) for a in leaf_analytics[tid] for x, _ in refs_of(a))
                  and sum(max([value(c2, a, p)[0] for a in leaf_analytics[tid]] + [0.0]) for p in plats) / len(plats) > vis[tid] + 1e-12]
        reached.update(raised)
        if raised:
            rollup.append((-len(raised), n, ch, "T1059.001" in raised))
    rollup.sort()
    print("rollup_rows", len(rollup), "unaddressed", len(leaves) - len(reached), "top", [(n, ch, -k, has) for k, n, ch, has in rollup[:3]])
    for step in range(steps):
        best = None
        for n, ch in cands.values():
            used = used_of[(n, ch)]
            if (n, ch) in picked or all(col.ref(p, n, ch) > 0 for p in used):
                continue
            c2 = Collected()
            c2.state = {k: [v[0], dict(v[1])] for k, v in col.state.items()}
            for p in scope:
                if col.ref(p, n, ch) == 0:
                    c2.add(p, n, [ch], 1.0)
            # Only leaves with an analytic naming this name can change.
            total = 0.0
            for tid, (_, plats) in leaves.items():
                if not any(norm(x) == norm(n) for a in leaf_analytics[tid] for x, _ in refs_of(a)):
                    continue
                after = sum(max([value(c2, a, p)[0] for a in leaf_analytics[tid]] + [0.0]) for p in plats) / len(plats)
                if after > vis[tid] + 1e-12:
                    total += after - vis[tid]
            key = (-total, (n, ch))
            if total >= 5e-7 * n_leaves and (best is None or key < best[0]):
                best = (key, n, ch, total)
        if best is None:
            break
        _, n, ch, total = best
        gained_before = {a for a in in_scope_analytics if any(value(col, a, p)[1] for p in scope)}
        added = [p for p in scope if col.ref(p, n, ch) == 0]
        for p in added:
            col.add(p, n, [ch], 1.0)
        picked.append((n, ch))
        gained = sorted(ext_id(analytics[a]) for a in in_scope_analytics
                        if a not in gained_before and any(value(col, a, p)[1] for p in scope))
        new = visibility(col)
        raised = sorted(t for t in leaves if new[t] > vis[t] + 1e-12)
        after_mean = sum(new.values()) / n_leaves
        print("step", step + 1, repr(n), repr(ch), added, "gain %.6f" % (after_mean - base / n_leaves),
              "cumulative %.6f" % after_mean, "gained", ",".join(gained), "raised", len(raised))
        vis, base = new, sum(new.values())


main()
