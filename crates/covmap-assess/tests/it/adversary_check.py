# Independent check of `covmap attack compare` / `attack match`: reads an ATT&CK STIX bundle
# directly. A group's techniques = active attack-patterns it `uses`, that its software uses,
# that campaigns `attributed-to` it use, and that those campaigns' software uses (active
# relationships and objects only; no parent/sub-technique spreading).
# Usage: python3 adversary_check.py BUNDLE compare G0016 G0046 | match T1566.001 ...
import json, sys, itertools
b = json.load(open(sys.argv[1]))  # the bundle is the first argument of either script
O = b['objects']; objs = {o['id']: o for o in O}
act = lambda o: not o.get('revoked') and not o.get('x_mitre_deprecated')
def aid(o):
    for r in o.get('external_references', []):
        if r.get('source_name') == 'mitre-attack': return r.get('external_id')
rels = [o for o in O if o['type'] == 'relationship' and act(o)
        and act(objs.get(o['source_ref'], {'revoked': True})) and act(objs.get(o['target_ref'], {'revoked': True}))]
def out(src, rt, typ):
    return {r['target_ref'] for r in rels if r['source_ref'] == src and r['relationship_type'] == rt
            and objs[r['target_ref']]['type'] == typ}
def used(g):
    t = out(g, 'uses', 'attack-pattern')
    for s in out(g, 'uses', 'malware') | out(g, 'uses', 'tool'):
        t |= out(s, 'uses', 'attack-pattern')
    camps = {r['source_ref'] for r in rels if r['target_ref'] == g and r['relationship_type'] == 'attributed-to'
             and objs[r['source_ref']]['type'] == 'campaign'}
    for c in camps:
        t |= out(c, 'uses', 'attack-pattern')
        for s in out(c, 'uses', 'malware') | out(c, 'uses', 'tool'):
            t |= out(s, 'uses', 'attack-pattern')
    return {aid(objs[x]) for x in t}
if __name__ == '__main__':
    groups = {aid(o): o['id'] for o in O if o['type'] == 'intrusion-set' and act(o)}
    if sys.argv[2] == 'compare':
        sets = {g: used(groups[g]) for g in sys.argv[3:]}
        for g, s in sets.items(): print(g, len(s))
        print('shared', len(set.intersection(*sets.values())))
        for g, s in sets.items(): print('unique', g, len(s - set().union(*[v for k, v in sets.items() if k != g])))
        for a, c in itertools.combinations(sets, 2):
            print('jaccard', a, c, len(sets[a] & sets[c]), round(len(sets[a] & sets[c]) / len(sets[a] | sets[c]), 6))
    else:
        obs = set(sys.argv[3:]); rows = []
        for g, sid in groups.items():
            s = used(sid); m = obs & s
            if m: rows.append((-len(m), -round(len(m) / len(obs | s), 6), g, len(s)))
        rows.sort()
        print('matching groups', len(rows))
        for r in rows[:5]: print(r[2], -r[0], r[3], -r[1])
