#!/usr/bin/env python3
"""Dev aid: checks the example inventories against the enterprise ATT&CK 18.1 bundle.

Usage: python3 examples/check_examples.py [BUNDLE]   (needs PyYAML)
Default bundle: ../shared/data/attack/enterprise-attack-18.1.json beside the repository.
Exit code 1 on errors; warnings are printed but do not fail.
"""
import json, sys
from pathlib import Path
import yaml

EX = Path(__file__).resolve().parent
BUNDLE = Path(sys.argv[1]) if len(sys.argv) > 1 else EX.parent.parent / "shared/data/attack/enterprise-attack-18.1.json"
PLATFORMS = {"Windows", "macOS", "Linux", "ESXi", "IaaS", "Network Devices", "PRE", "Office Suite",
             "SaaS", "Identity Provider", "Containers"}
CAP_KEYS = {"id", "name", "vendor", "status", "platforms", "cost", "owner", "tags", "coverage"}
ENTRY_KEYS = {"techniques", "function", "level", "confidence", "evidence", "tested_on", "include_subtechniques", "platforms"}
errors, warnings = [], []

def attack_id(o):
    return next((r["external_id"] for r in o.get("external_references", []) if r.get("source_name") == "mitre-attack"), None)

tech, dead, groups = {}, set(), set()
for o in json.load(open(BUNDLE))["objects"]:
    i, gone = attack_id(o), o.get("revoked") or o.get("x_mitre_deprecated")
    if o["type"] == "attack-pattern" and i:
        (dead.add(i) if gone else tech.__setitem__(i, set(o.get("x_mitre_platforms", []))))
    elif o["type"] == "intrusion-set" and i and not gone:
        groups |= {i, o["name"], *o.get("aliases", [])}
subs = {p: [t for t in tech if t.startswith(p + ".")] for p in tech if "." not in p}

def load(*names):
    return [(n, yaml.safe_load(open(EX / n))) for n in names]

def check(label, docs, scope_platforms=None):
    """Validates a set of files that are used together; returns its capabilities by id and its settings."""
    caps, settings = {}, {"exclude": []}
    for name, d in docs:
        if d.get("covmap") != 1: errors.append(f"{name}: covmap: 1 missing")
        for k in ("organization", "attack", "scoring"):
            if k in d: settings.setdefault(k, d[k]) == d[k] or errors.append(f"{name}: {k} conflicts")
        sc = d.get("scope", {})
        if "platforms" in sc: settings.setdefault("platforms", sc["platforms"]) == sc["platforms"] or errors.append(f"{name}: scope.platforms conflict")
        settings["exclude"] += sc.get("exclude", [])
        if "threats" in sc: settings.setdefault("threats", sc["threats"]) == sc["threats"] or errors.append(f"{name}: scope.threats conflict")
        for g in sc.get("threats", {}).get("groups", []):
            g in groups or errors.append(f"{name}: unknown group {g}")
        for c in d.get("capabilities", []):
            c["id"] not in caps or errors.append(f"{label}: duplicate capability id {c['id']} ({name})")
            caps[c["id"]] = c
    scope = set(settings.get("platforms") or scope_platforms or PLATFORMS)
    for e in settings["exclude"]:
        e["technique"] in tech and e.get("reason") or errors.append(f"{label}: bad exclusion {e}")
    for cid, c in caps.items():
        set(c) <= CAP_KEYS or errors.append(f"{label}:{cid}: unknown keys {set(c) - CAP_KEYS}")
        cplat = set(c.get("platforms") or scope)
        cplat <= PLATFORMS or errors.append(f"{label}:{cid}: unknown platforms {cplat - PLATFORMS}")
        cplat & scope or warnings.append(f"{label}:{cid}: no platform in scope")
        seen = {}
        for n, e in enumerate(c["coverage"]):
            where = f"{label}:{cid} entry {n + 1}"
            set(e) <= ENTRY_KEYS or errors.append(f"{where}: unknown keys {set(e) - ENTRY_KEYS}")
            eplat = set(e.get("platforms") or cplat)
            eplat <= cplat or errors.append(f"{where}: platforms {eplat - cplat} not among the capability's")
            e["function"] in ("detect", "protect", "respond", "visibility") or errors.append(f"{where}: bad function")
            lv = e.get("level")
            lv in ("minimal", "partial", "significant") or (isinstance(lv, (int, float)) and 0 <= lv <= 1) or errors.append(f"{where}: bad level {lv}")
            e.get("confidence", "configured") in ("claimed", "configured", "tested") or errors.append(f"{where}: bad confidence")
            if e.get("confidence") == "tested" and not (e.get("evidence") and e.get("tested_on")):
                warnings.append(f"{where}: tested without evidence/tested_on")
            inc = e.get("include_subtechniques", False)
            for t in e["techniques"]:
                if t not in tech:
                    errors.append(f"{where}: {t} {'revoked/deprecated' if t in dead else 'unknown'}")
                    continue
                if inc and not subs.get(t): warnings.append(f"{where}: {t} has no sub-techniques")
                if not tech[t] & eplat & scope: warnings.append(f"{where}: {t} has no platform in common ({sorted(tech[t])})")
                seen.setdefault(e["function"], []).append((t, inc))
        for f, lst in seen.items():
            parents = {t for t, inc in lst if inc}
            for t, _ in lst:
                if t.split(".")[0] in parents and "." in t:
                    errors.append(f"{label}:{cid}: {t} listed beside {t.split('.')[0]} with include_subtechniques ({f})")
    return caps, settings

def refs(caps):
    return sum(len(e["techniques"]) for c in caps.values() for e in c["coverage"])

base, base_settings = check("01", load("01-midsize-company/inventory.yaml"))
print(f"01: {len(base)} capabilities, {refs(base)} technique references, "
      f"{len({t for c in base.values() for e in c['coverage'] for t in e['techniques']})} distinct IDs")
[errors.append(f"01: {i} is {c['status']}") for i, c in base.items() if c["status"] != "deployed"]
for f in ("candidate-edr.yaml", "candidate-ndr.yaml"):
    cand, _ = check(f"02/{f}", load(f"02-compare-candidates/{f}"), base_settings["platforms"])
    set(cand) & set(base) and errors.append(f"{f}: capability id also in 01: {set(cand) & set(base)}")
    for i, c in cand.items():
        c["status"] == "candidate" or errors.append(f"{f}: {i} is not a candidate")
        print(f"02/{f}: {i}, {refs(cand)} technique references, cost {c['cost']['annual']} {c['cost']['currency']}")
team_files = sorted(p.name for p in (EX / "03-per-team").glob("*.yaml"))
team, team_settings = check("03", load(*(f"03-per-team/{n}" for n in team_files)))
team == base or errors.append(f"03: merged capabilities differ from 01 ({sorted(set(team) ^ set(base)) or 'same ids, different content'})")
team_settings == base_settings or errors.append("03: merged settings differ from 01")
print(f"03: {len(team_files)} files ({', '.join(team_files)}) merge to {len(team)} capabilities, "
      f"{'identical to 01' if team == base and team_settings == base_settings else 'NOT identical to 01'}")
for w in warnings: print("warning:", w)
for e in errors: print("error:", e)
print(f"{len(errors)} errors, {len(warnings)} warnings")
sys.exit(1 if errors else 0)
