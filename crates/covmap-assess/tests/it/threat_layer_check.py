# Independent check of `covmap export navigator --threats` on example 01 (enterprise 18.1):
# leaves in scope (platforms of the example's scope, minus its two exclusions) used by FIN7,
# Scattered Spider or APT29 by any route, a parent's use counting for its sub-techniques; and
# the (technique, tactic) entries they make in the layer.
# Usage: python3 threat_layer_check.py BUNDLE
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adversary_check import O, act, aid, used  # the same route rule as `attack compare`
tech = {aid(o): o for o in O if o['type'] == 'attack-pattern' and act(o)}
parents = {i.split('.')[0] for i in tech if '.' in i}
plat = {'Windows', 'macOS', 'Linux', 'IaaS', 'Office Suite', 'Identity Provider', 'SaaS'}
scope = {i for i, o in tech.items() if i not in parents and set(o.get('x_mitre_platforms', [])) & plat} - {'T1200', 'T1669'}
gid = {aid(o): o['id'] for o in O if o['type'] == 'intrusion-set' and act(o)}
weights = {}
for g in ('G0046', 'G1015', 'G0016'):
    leaves = set()
    for t in used(gid[g]):
        subs = [i for i in tech if i.startswith(t + '.')] if '.' not in t else []
        leaves |= set(subs) if subs else {t}
    for l in leaves & scope: weights[l] = weights.get(l, 0) + 1
entries = sum(len({p['phase_name'] for p in tech[l]['kill_chain_phases'] if p['kill_chain_name'] == 'mitre-attack'}) for l in weights)
print('in scope', len(scope), 'used leaves', len(weights), 'entries', entries, 'max', max(weights.values()))
