#!/usr/bin/env python3
"""Writes a large synthetic inventory for speed tests: N capabilities x M coverage entries over
real ATT&CK techniques of a bundle (deterministic: same arguments, same file).

usage: gen-inventory.py BUNDLE.json OUT.yaml [capabilities=2000] [entries=20]
"""
import json
import random
import sys

bundle, out = sys.argv[1], sys.argv[2]
n_caps = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
n_entries = int(sys.argv[4]) if len(sys.argv) > 4 else 20
ids = sorted(
    ref["external_id"]
    for o in json.load(open(bundle))["objects"]
    if o["type"] == "attack-pattern" and not o.get("revoked") and not o.get("x_mitre_deprecated")
    for ref in o.get("external_references", [])[:1]
    if ref.get("source_name") == "mitre-attack"
)
rng = random.Random(42)
functions = ["detect", "protect", "respond", "visibility"]
levels = ["minimal", "partial", "significant", "0.4", "0.75"]
confidences = ["claimed", "configured", "tested"]
platforms = ["Windows", "Linux", "macOS", "IaaS", "Office Suite", "Identity Provider", "SaaS"]
with open(out, "w") as f:
    f.write("covmap: 1\norganization: Generated Corp\nattack: {domain: enterprise, version: \"18.1\"}\n")
    f.write("scope:\n  threats: {groups: [APT29, FIN7]}\ncapabilities:\n")
    for c in range(n_caps):
        f.write(f"  - id: cap-{c:04d}\n    name: Capability {c}\n    vendor: Vendor {c % 37}\n")
        f.write(f"    platforms: [{', '.join(rng.sample(platforms, 3))}]\n")
        f.write(f"    cost: {{annual: {rng.randint(5, 300) * 1000}, currency: EUR}}\n    coverage:\n")
        for _ in range(n_entries):
            techniques = ", ".join(rng.sample(ids, 2))
            conf = rng.choice(confidences)
            evidence = ", evidence: \"rule review 2026\"" if conf == "tested" else ""
            f.write(
                f"      - {{techniques: [{techniques}], function: {rng.choice(functions)}, "
                f"level: {rng.choice(levels)}, confidence: {conf}{evidence}}}\n"
            )
