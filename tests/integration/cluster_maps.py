"""Cluster maps for tests with real `kvgate serve` nodes that change their map
at run time (SIGHUP, docs/scaling.md "Changing the map").

A node's port is known only once it runs (the harness listens on port 0), so
a node starts with a one-member placeholder map of its cluster (version 1,
itself at an unused endpoint) and gets the real map by rewriting its file and
SIGHUP, which is how a map change reaches every node in production too.
"""
import json
import os
import signal
import time
import types

import s3_signing
from proxy_cluster import ROOT_ACCESS_KEY, ROOT_SECRET_KEY, ClusterNode

CLUSTER_ID = "kv-test"


def map_toml(self_id, version, members, cluster_id=CLUSTER_ID):
    """members: list of (id, url, weight, state)."""
    text = f'[cluster]\nid = "{cluster_id}"\nmap_version = {version}\nself = "{self_id}"\n'
    for member_id, url, weight, state in members:
        text += (f'\n[[cluster.members]]\nid = "{member_id}"\ns3_endpoint = "{url}"\n'
                 f'weight = {weight}\nstate = "{state}"\n')
    return text


def start_node(node_id, disks=4, extra_args=()):
    placeholder = map_toml(node_id, 1, [(node_id, "http://127.0.0.1:9", 1, "active")])
    return ClusterNode(node_id, placeholder, disks=disks, extra_args=extra_args)


def config_path(node):
    return os.path.join(node.tmp, "kvgate.toml")


def call(node, method, path, headers=None, body=b"", query=()):
    gw = types.SimpleNamespace(host="127.0.0.1", port=node.port)
    return s3_signing.request(gw, method, path, query=query, headers=headers or {}, body=body,
                              access_key=ROOT_ACCESS_KEY, secret=ROOT_SECRET_KEY)


def served_map(node):
    r = call(node, "GET", "/.kvgate/v1/cluster")
    assert r.status == 200, r.body
    return json.loads(r.body)


def reload_map(node, text, expect_version, timeout=15.0):
    """Writes `text` as the node's configuration, sends SIGHUP and waits until
    the node serves map version `expect_version` (bounded). Returns the map."""
    with open(config_path(node), "w") as f:
        f.write(text)
    node.server.signal(signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while True:
        doc = served_map(node)
        if doc.get("map_version") == expect_version:
            return doc
        if time.monotonic() > deadline:
            raise AssertionError(f"{node.node_id} still serves {doc.get('map_version')} "
                                 f"{timeout} s after SIGHUP: {node.server.stderr()[-2000:]}")
        time.sleep(0.1)


def wait_for_log(node, text, timeout=15.0):
    deadline = time.monotonic() + timeout
    while text not in node.server.stderr():
        if time.monotonic() > deadline:
            raise AssertionError(f"{node.node_id} did not log {text!r}: "
                                 f"{node.server.stderr()[-2000:]}")
        time.sleep(0.1)
    return node.server.stderr()
