#!/usr/bin/env python3
"""Route-aware threat weights computed from a raw STIX bundle, independently of covmap.

Reads the bundle's objects and relationships directly (no covmap code): for each selected
group, its techniques are its own `uses` and those of the campaigns attributed to it (direct,
1), and those of the software it or its campaigns use (software only, FACTOR); a use of a parent
counts for each active sub-technique; per group the larger route counts; a leaf's weight is the
sum over groups. Also prints, per leaf, how many selected groups use it directly and how many
active groups of the bundle use it by any route (prevalence).

With --routes, prints instead per group the leaves it uses and how many it reaches directly,
via software, via campaigns, via campaign software, and through software only (as `covmap
threats` explains them).

usage: route_weights.py BUNDLE FACTOR GROUP_ID... [--leaves ID...] [--routes]
"""
import json
import sys


def main():
    args = sys.argv[1:]
    routes_only = "--routes" in args
    args = [a for a in args if a != "--routes"]
    leaves_wanted = None
    if "--leaves" in args:
        i = args.index("--leaves")
        leaves_wanted = args[i + 1:]
        args = args[:i]
    bundle, factor, groups = args[0], float(args[1]), args[2:]
    objects = json.load(open(bundle))["objects"]
    alive = lambda o: not o.get("revoked") and not o.get("x_mitre_deprecated")
    by_id = {o["id"]: o for o in objects if alive(o)}
    ext = lambda o: next((r["external_id"] for r in o.get("external_references", [])
                          if r.get("source_name", "").startswith("mitre")), None)
    rels = [o for o in objects if o["type"] == "relationship" and alive(o)
            and o["source_ref"] in by_id and o["target_ref"] in by_id]
    uses, attributed, subs = {}, {}, {}
    for r in rels:
        if r["relationship_type"] == "uses":
            uses.setdefault(r["source_ref"], set()).add(r["target_ref"])
        elif r["relationship_type"] == "attributed-to":
            attributed.setdefault(r["target_ref"], set()).add(r["source_ref"])
        elif r["relationship_type"] == "subtechnique-of":
            subs.setdefault(r["target_ref"], set()).add(r["source_ref"])
    tech = lambda i: by_id[i]["type"] == "attack-pattern"
    soft = lambda i: by_id[i]["type"] in ("malware", "tool")

    def leaves(t):
        return subs.get(t) or {t}

    def group_uses(g):
        out = {}
        def add(t, direct):
            for leaf in leaves(t):
                out[leaf] = out.get(leaf, False) or direct
        sources = [g] + sorted(attributed.get(g, ()))
        for src in sources:
            for x in uses.get(src, ()):
                if tech(x):
                    add(x, True)
                elif soft(x):
                    for t in uses.get(x, ()):
                        if tech(t):
                            add(t, False)
        return out

    gid = {ext(o): o["id"] for o in by_id.values() if o["type"] == "intrusion-set"}
    if routes_only:
        for g in groups:
            kinds = {}
            def mark(t, kind):
                for leaf in leaves(t):
                    kinds.setdefault(leaf, set()).add(kind)
            for x in uses.get(gid[g], ()):
                if tech(x):
                    mark(x, "direct")
                elif soft(x):
                    for t in uses.get(x, ()):
                        if tech(t):
                            mark(t, "software")
            for c in attributed.get(gid[g], ()):
                for x in uses.get(c, ()):
                    if tech(x):
                        mark(x, "campaign")
                    elif soft(x):
                        for t in uses.get(x, ()):
                            if tech(t):
                                mark(t, "campaign-software")
            count = lambda k: sum(1 for v in kinds.values() if k in v)
            only = sum(1 for v in kinds.values() if not v & {"direct", "campaign"})
            print(g, len(kinds), count("direct"), count("software"), count("campaign"),
                  count("campaign-software"), only)
        return
    weight, direct = {}, {}
    for g in groups:
        for leaf, d in group_uses(gid[g]).items():
            weight[leaf] = weight.get(leaf, 0.0) + (1.0 if d else factor)
            direct[leaf] = direct.get(leaf, 0) + (1 if d else 0)
    prevalence = {}
    for g in gid.values():
        for leaf in group_uses(g):
            prevalence[leaf] = prevalence.get(leaf, 0) + 1
    rows = sorted((ext(by_id[t]), weight[t], direct[t], prevalence.get(t, 0)) for t in weight)
    if leaves_wanted is not None:
        rows = [r for r in rows if r[0] in leaves_wanted]
    for r in rows:
        print("%s %g %d %d" % r)


main()
