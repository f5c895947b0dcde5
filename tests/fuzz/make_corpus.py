#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target to tests/fuzz/corpus/<target>/ from the protocol
vectors (tests/vectors/protocol-v1.json) and a few hand-written responses and configs.
Run it again after changing a target's input format:  python3 tests/fuzz/make_corpus.py"""
import json
import os
import shutil

here = os.path.dirname(os.path.abspath(__file__))
vectors = json.load(open(os.path.join(here, "..", "vectors", "protocol-v1.json")))
corpus = os.path.join(here, "corpus")


def unhex(s):
    return bytes.fromhex(s[2:] if s.startswith("0x") else s)


def write(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


shutil.rmtree(corpus, ignore_errors=True)

# fuzz_scale: selector byte % 9, then SCALE bytes.
for i, c in enumerate(vectors["compact"]):
    write("fuzz_scale", f"compact-{i}", bytes([0]) + unhex(c["encoded"]))
write("fuzz_scale", "stream", bytes([1]) + unhex(vectors["cluster_messages"][0]["encoded"]))
for i, m in enumerate(vectors["cluster_messages"]):
    write("fuzz_scale", f"message-{i}", bytes([2]) + unhex(m["encoded"]))
    write("fuzz_scale", f"origin-{i}", bytes([8]) + unhex(m["encoded"]))
sv = vectors["storage_values"]
write("fuzz_scale", "cluster-info", bytes([3]) + unhex(sv["cluster_info"]["encoded"]))
write("fuzz_scale", "queue-state", bytes([4]) + unhex(sv["queue_state"]["encoded"]))
write("fuzz_scale", "ack-record", bytes([5]) + unhex(sv["ack_record"]["encoded"]))
write("fuzz_scale", "account-info", bytes([6]) + unhex(sv["account_info"]["encoded"]))
write("fuzz_scale", "u128", bytes([7]) + unhex(vectors["u128"][2]["encoded"]))

# fuzz_extrinsic: even selector = whole extrinsic, odd = call.
for i, x in enumerate(vectors["extrinsics"]):
    write("fuzz_extrinsic", f"extrinsic-{i}", bytes([0]) + unhex(x["extrinsic"]))
    write("fuzz_extrinsic", f"call-{i}", bytes([1]) + unhex(x["call"]))

# fuzz_worker_response: selector % 3 = method (0 info, 1 messages, 2 sign); (sel >> 2) % 8 picks
# the HTTP status (0-2: 200).
keys = vectors["keys"]
m0 = vectors["cluster_messages"][0]
h = "0x" + "11" * 32
write("fuzz_worker_response", "info", bytes([0]) + json.dumps({
    "protocol": "phala-cluster-mq", "version": "1.0.0", "public_key": keys[0]["public_key"],
    "clusters": [m0["cluster"]], "stopped": False}).encode())
msgs = [{"sn": 5 + k, "destination": m0["destination"], "payload": "0x0102",
         "prev_hash": h, "state_root": h, "hash": h} for k in range(3)]
write("fuzz_worker_response", "messages", bytes([1]) + json.dumps(
    {"messages": msgs, "next_sn": 8}).encode())
write("fuzz_worker_response", "messages-empty", bytes([1]) + b'{"messages":[],"next_sn":"5"}')
sig = vectors["signatures"][0]["signature"]
write("fuzz_worker_response", "sign", bytes([2]) + json.dumps({
    "public_key": keys[0]["public_key"],
    "results": [{"sn": 5, "signature": sig},
                {"sn": 6, "code": "diverged", "error": "local hash differs", "local_hash": h},
                {"sn": 7, "code": "unknown_sn"}]}).encode())
write("fuzz_worker_response", "error-400", bytes([3 << 2]) + b'{"error":"bad cluster","code":"unknown_cluster"}')
write("fuzz_worker_response", "error-503", bytes([6 << 2 | 1]) + b'{"error":"stopped","code":"stopped"}')

# fuzz_chain_response: (sel & 0x7f) % 14 = method; sel & 0x80 = HTTP 500.
def rpc(result, id_=1):
    return json.dumps({"jsonrpc": "2.0", "id": id_, "result": result}).encode()
write("fuzz_chain_response", "params", bytes([0]) + rpc("0x" + "ab" * 32))
write("fuzz_chain_response", "runtime", bytes([0]) + rpc({"specVersion": 1, "transactionVersion": 1}, 2))
write("fuzz_chain_response", "header", bytes([1]) + rpc({"number": "0x1f", "parentHash": h}))
write("fuzz_chain_response", "block-hash", bytes([2]) + rpc(h))
write("fuzz_chain_response", "block-hash-null", bytes([2]) + rpc(None))
write("fuzz_chain_response", "cluster-info", bytes([3]) + rpc(sv["cluster_info"]["encoded"]))
write("fuzz_chain_response", "queue", bytes([4]) + rpc(sv["queue_state"]["encoded"]))
write("fuzz_chain_response", "next-sn", bytes([5]) + rpc(17))
write("fuzz_chain_response", "acks", bytes([6]) + json.dumps([
    {"jsonrpc": "2.0", "id": 2, "result": None},
    {"jsonrpc": "2.0", "id": 1, "result": sv["ack_record"]["encoded"]}]).encode())
write("fuzz_chain_response", "next-index", bytes([7]) + rpc(3))
write("fuzz_chain_response", "account", bytes([8]) + rpc(sv["account_info"]["encoded"]))
write("fuzz_chain_response", "rewards", bytes([9]) + rpc(vectors["u128"][2]["encoded"]))
write("fuzz_chain_response", "fee", bytes([10]) + rpc({"weight": 1, "class": "normal", "partialFee": "1000"}))
write("fuzz_chain_response", "submit", bytes([11]) + rpc(h))
write("fuzz_chain_response", "rpc-error", bytes([11]) + json.dumps({
    "jsonrpc": "2.0", "id": 1, "error": {"code": 1010, "message": "Invalid Transaction",
                                         "data": "Custom error: 6"}}).encode())
write("fuzz_chain_response", "head", bytes([12]) + json.dumps([
    {"jsonrpc": "2.0", "id": 3, "result": 17},
    {"jsonrpc": "2.0", "id": 1, "result": {"number": "0x1f", "parentHash": h}},
    {"jsonrpc": "2.0", "id": 2, "result": sv["queue_state"]["encoded"]}]).encode())
write("fuzz_chain_response", "raw", bytes([13]) + rpc({"peers": 0, "isSyncing": False}))
write("fuzz_chain_response", "http-500", bytes([0x80 | 5]) + b"internal error")

# fuzz_config: TOML text.
for name in ("hunter.example.toml",):
    with open(os.path.join(here, "..", "..", "config", name), "rb") as f:
        write("fuzz_config", name, f.read())
write("fuzz_config", "minimal.toml", """[chain]
endpoints = ["http://127.0.0.1:9933"]
[hunter]
key_file = "/var/lib/hunter/hunter.key"
database = "/var/lib/hunter/hunter.db"
[[clusters]]
id = "0x%s"
workers = ["http://127.0.0.1:8000", "http://127.0.0.1:8001"]
""" % ("ab" * 32))
write("fuzz_config", "typo.toml", "[chain]\nendpoint = \"http://x\"\n")
