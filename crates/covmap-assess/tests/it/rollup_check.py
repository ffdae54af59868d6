# Independent roll-up of an empty Windows+Linux inventory on enterprise 18.1: every in-scope leaf
# is a gap of priority 1 (no threats), so each row's priority = its count.
import json,collections,sys
b=json.load(open(sys.argv[1]))
O=b['objects']; objs={o['id']:o for o in O}
act=lambda o: not o.get('revoked') and not o.get('x_mitre_deprecated')
def aid(o):
    for r in o.get('external_references',[]):
        if r.get('source_name')=='mitre-attack': return r.get('external_id')
tech={o['id']:o for o in O if o['type']=='attack-pattern' and act(o)}
ids={aid(o) for o in tech.values()}
parents={i.split('.')[0] for i in ids if '.' in i}
leaves={k for k,o in tech.items() if aid(o) not in parents}
scope={k for k in leaves if set(tech[k].get('x_mitre_platforms',[]))&{'Windows','Linux'}}
print('in scope',len(scope))
mit=collections.defaultdict(set); dc=collections.defaultdict(set); tac=collections.defaultdict(set)
an={o['id']:o for o in O if o['type']=='x-mitre-analytic' and act(o)}
for o in O:
    if o['type']!='relationship' or not act(o): continue
    s=objs.get(o['source_ref']); t=o['target_ref']
    if t not in scope or not s or not act(s): continue
    if o['relationship_type']=='mitigates' and s['type']=='course-of-action': mit[aid(s)].add(t)
    if o['relationship_type']=='detects':
        if s['type']=='x-mitre-data-component': dc[aid(s)].add(t)
        if s['type']=='x-mitre-detection-strategy':
            for a in s.get('x_mitre_analytic_refs',[]):
                if a in an:
                    for l in an[a].get('x_mitre_log_source_references',[]):
                        dc[aid(objs[l['x_mitre_data_component_ref']])].add(t)
shortname={o['x_mitre_shortname']:aid(o) for o in O if o['type']=='x-mitre-tactic' and act(o)}
for k in scope:
    for p in tech[k]['kill_chain_phases']:
        if p['kill_chain_name']=='mitre-attack': tac[shortname[p['phase_name']]].add(k)
for name,rows in (('mitigation',mit),('data-component',dc),('tactic',tac)):
    r=sorted(((len(v),k) for k,v in rows.items()),key=lambda x:(-x[0],x[1]))
    none=sum(1 for k in scope if not any(k in v for v in rows.values()))
    print(name,'rows',len(r),'top',r[:3],'last',r[-1],'unaddressed',none)
