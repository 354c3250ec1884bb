"""k8s/unsafe-sysctls: sysctls outside the Pod Security Standards' safe list change the whole node."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info, sc_path
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject
from prcheck.checks.policy.builtin_k8s.values import members

# The Pod Security Standards' baseline list of safe sysctls.
SAFE = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
})


def check(s: Subject) -> Iterator[Hit]:
    if s.pod is None:
        return
    for index, sysctl in members(s.pod.sc.get("sysctls")):
        name = sysctl.get("name") if isinstance(sysctl, dict) else None
        if isinstance(name, str) and name not in SAFE:
            yield (f"pod sets unsafe sysctl {name}: remove it from securityContext.sysctls",
                   sc_path(s.pod.path, "sysctls", index))


RULE = K8sRule(info(
    __name__, "k8s/unsafe-sysctls", "Unsafe sysctl", "error",
    "Only a few namespaced sysctls are safe to set per pod; the others change kernel behaviour for the whole node "
    "or every pod on it.",
    "Remove the sysctl from `securityContext.sysctls`, or set it on the node."),
    check, POD_KINDS)
