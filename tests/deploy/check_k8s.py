#!/usr/bin/env python3
"""The shipped Kubernetes manifests (config/k8s) hang together, and agree with hunter's real flags.

Usage: check_k8s.py SOURCE_DIR HUNTER_BINARY. Prints every problem and exits 1 if there is any.
Checks what an operator would only find out on a cluster: the probes' paths and ports, the
volumes and where the config puts the database and the key, the init container's copy of the
key, the shard wiring (SHARDS = replicas, --shard from the ordinal), and that every flag the
StatefulSet passes is one `hunter run --help` lists.
"""
import re
import subprocess
import sys
import tomllib

import yaml

src, hunter = sys.argv[1], sys.argv[2]
problems = []


def need(cond, what):
    if not cond:
        problems.append(what)


def load(name):
    with open(f"{src}/config/k8s/{name}") as f:
        return yaml.safe_load(f)


cm, sts, svc = load("configmap.yaml"), load("statefulset.yaml"), load("service.yaml")
need(cm["kind"] == "ConfigMap" and sts["kind"] == "StatefulSet" and svc["kind"] == "Service",
     "kinds: ConfigMap, StatefulSet, Service")
cfg = tomllib.loads(cm["data"]["hunter.toml"])
api_port = int(cfg["api"]["listen"].rsplit(":", 1)[1])
need(cfg["api"]["listen"].startswith("0.0.0.0:"), "api.listen must face the pod network")

spec = sts["spec"]
pod = spec["template"]["spec"]
main = next(c for c in pod["containers"] if c["name"] == "hunter")
ports = {p["name"]: p["containerPort"] for p in main.get("ports", [])}
need(ports.get("api") == api_port, f"container port 'api' {ports.get('api')} != api.listen {api_port}")
for probe in ("readinessProbe", "livenessProbe"):
    get = main.get(probe, {}).get("httpGet", {})
    need(get.get("path") == "/healthz", f"{probe} path {get.get('path')} != /healthz")
    need(get.get("port") in ("api", api_port), f"{probe} port {get.get('port')} is not the api port")
svc_port = svc["spec"]["ports"][0]
need(svc_port.get("targetPort") in ("api", api_port), "Service targetPort is not the api port")
need(svc["spec"]["selector"] == spec["selector"]["matchLabels"], "Service selector != pods' labels")

mounts = {m["name"]: m["mountPath"] for m in main["volumeMounts"]}
db_dir = cfg["hunter"]["database"].rsplit("/", 1)[0]
need(mounts.get("data") == db_dir, f"volume 'data' at {mounts.get('data')}, database in {db_dir}")
need(any(t["metadata"]["name"] == "data" for t in spec.get("volumeClaimTemplates", [])),
     "no volumeClaimTemplate 'data'")
need(mounts.get("config") == "/etc/hunter", "config volume not at /etc/hunter")

env = {e["name"]: e.get("value") for e in main.get("env", [])}
key = env.get("HUNTER_KEY_FILE")
need(key in cfg["hunter"]["key_files"], f"HUNTER_KEY_FILE {key} not in hunter.key_files")
key_dir = key.rsplit("/", 1)[0] if key else ""
need(mounts.get("key") == key_dir, f"key volume at {mounts.get('key')}, key in {key_dir}")
init = next((c for c in pod.get("initContainers", []) if c["name"] == "key"), None)
need(init is not None, "no init container 'key'")
if init:
    script = " ".join(init.get("args", []) + init.get("command", []))
    need("-m 0600" in script and key in script, "the init container does not copy the key 0600 to " + str(key))
    init_mounts = {m["name"]: m["mountPath"] for m in init["volumeMounts"]}
    need(init_mounts.get("key") == key_dir, "the init container does not write the key volume")
    need("keys" in init_mounts and init_mounts["keys"] in script, "the init container does not read the Secret")

args = " ".join(main.get("args", []))
need(env.get("SHARDS") == str(spec["replicas"]), f"SHARDS {env.get('SHARDS')} != replicas {spec['replicas']}")
need('--shard "${HOSTNAME##*-}/${SHARDS}"' in args, "--shard is not the ordinal over SHARDS")
need("--config /etc/hunter/hunter.toml" in args, "--config does not point at the ConfigMap's file")
help_text = subprocess.run([hunter, "run", "--help"], capture_output=True, text=True).stdout
for flag in re.findall(r"(--[a-z][a-z-]*)", args):
    need(flag in help_text, f"the StatefulSet passes {flag}, which 'hunter run' does not have")

for p in problems:
    print("config/k8s: " + p, file=sys.stderr)
print(f"config/k8s: {'ok' if not problems else str(len(problems)) + ' problem(s)'}")
sys.exit(1 if problems else 0)
