"""Golden draws made by the solver before versions were recorded (version 1); see README.md."""
import json
import random
import sys

from award.assignment.instance import instance_hash, parse_instance, result_to_json, solve_instance


def make_instance(*, seed, n_apps, n_experts, k, n_orgs, sectors, q=None, draw_seed=None):
    rng = random.Random(seed)
    apps = [{"id": 1000 + i, "sector": rng.choice(sectors)} for i in range(n_apps)]
    experts = []
    for j in range(n_experts):
        e = {"id": 5000 + j, "sectors": sorted(rng.sample(sectors, rng.choice([1, 1, 2]))),
             "organization": f"91110000ORG{rng.randrange(n_orgs):05d}"}
        if rng.random() < 0.05:
            e["max_load"] = rng.randrange(3, 8)
        experts.append(e)
    affinity = {}
    for a in apps:
        row = {str(e["id"]): round(rng.random(), 2) for e in experts if rng.random() < 0.3}
        if row:
            affinity[str(a["id"])] = row
    pairs = [[a["id"], e["id"]] for a in apps for e in experts]
    rng.shuffle(pairs)
    instance = {"reviewers_per_application": k, "applications": apps, "experts": experts,
                "affinity": affinity, "conflicts": pairs[: len(pairs) // 50],
                "soft_pairs": pairs[len(pairs) // 50: len(pairs) // 50 + len(pairs) // 100]}
    if draw_seed is not None:
        instance["seed"] = draw_seed
        instance["max_pair_probability"] = q
    return instance


def golden(instance):
    parsed = parse_instance(instance)
    digest = instance_hash(parsed)
    result = result_to_json(solve_instance(parsed), input_hash=digest)
    result.pop("seconds", None)
    assert "solver_version" not in result
    return {"instance": instance, "input_hash": digest, "result": result}


out = sys.argv[1]
sectors = ["C13", "C26", "C34", "C39", "I65", "M73"]
cases = {
    "draw_v1_small": make_instance(seed=1, n_apps=12, n_experts=14, k=3, n_orgs=8, sectors=sectors[:3],
                                   q=0.5, draw_seed=20240601),
    "draw_v1_medium": make_instance(seed=2, n_apps=100, n_experts=60, k=4, n_orgs=45, sectors=sectors,
                                    q=0.4, draw_seed=987654321),
    "optimal_v1_medium": make_instance(seed=3, n_apps=80, n_experts=50, k=4, n_orgs=40, sectors=sectors),
}
for name, instance in cases.items():
    data = golden(instance)
    with open(f"{out}/{name}.json", "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        f.write("\n")
    print(name, data["result"]["status"], len(data["result"]["assignments"]), data["result"]["unassignable"][:5])
