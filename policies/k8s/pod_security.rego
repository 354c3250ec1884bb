# METADATA
# description: |
#   Pod security: the settings the Kubernetes Pod Security Standards
#   (baseline and restricted) care about, for every pod-bearing kind and for
#   init and ephemeral containers too.
package prcheck.k8s.pod_security

import rego.v1

import data.prcheck.lib.k8s.containers
import data.prcheck.lib.k8s.pod

# METADATA
# title: Privileged container
# description: |
#   A privileged container has every capability and full access to the
#   node's devices: escaping to the node is one command away.
# custom:
#   id: k8s/privileged-container
#   severity: error
#   remediation: >-
#     Remove `securityContext.privileged: true` (or set it to false); grant only the capabilities the process needs.
deny contains {
	"rule": "k8s/privileged-container",
	"msg": sprintf("container '%s' runs privileged: set securityContext.privileged to false", [c.name]),
	"path": array.concat(c.path, ["securityContext", "privileged"]),
} if {
	some c in containers
	c.sc.privileged == true
}

# METADATA
# title: Privilege escalation allowed
# description: |
#   Unless allowPrivilegeEscalation is false, a process can gain more
#   privileges than its parent (setuid binaries, file capabilities).
# custom:
#   id: k8s/privilege-escalation
#   severity: warning
#   remediation: >-
#     Set `securityContext.allowPrivilegeEscalation: false` on the container.
deny contains {
	"rule": "k8s/privilege-escalation",
	"msg": sprintf("container '%s' allows privilege escalation: set securityContext.allowPrivilegeEscalation to false", [c.name]),
	"path": array.concat(c.path, ["securityContext", "allowPrivilegeEscalation"]),
} if {
	some c in containers
	not c.sc.allowPrivilegeEscalation == false
	not _windows
}

# METADATA
# title: Container may run as root
# description: |
#   A container that runs as UID 0 is root on the node's kernel; a runtime
#   escape then starts with root. runAsNonRoot makes the kubelet refuse to
#   start a container whose image would run as root.
# custom:
#   id: k8s/run-as-root
#   severity: warning
#   remediation: >-
#     Set `securityContext.runAsNonRoot: true` (pod or container) and a non-zero `runAsUser`.
deny contains {
	"rule": "k8s/run-as-root",
	"msg": sprintf("container '%s' runs as UID 0: set runAsUser to a non-zero UID and runAsNonRoot to true", [c.name]),
	"path": path,
} if {
	some c in containers
	some path in _uid_zero(c)
}

deny contains {
	"rule": "k8s/run-as-root",
	"msg": sprintf("container '%s' may run as root: set securityContext.runAsNonRoot to true", [c.name]),
	"path": array.concat(c.path, ["securityContext", "runAsNonRoot"]),
} if {
	some c in containers
	not object.get(c.sc, "runAsNonRoot", object.get(pod.sc, "runAsNonRoot", null)) == true
	not is_number(object.get(c.sc, "runAsUser", object.get(pod.sc, "runAsUser", null)))
	not _windows
}

# Where an effective runAsUser of 0 comes from: the container's own setting, else the pod's.
_uid_zero(c) := [array.concat(c.path, ["securityContext", "runAsUser"])] if c.sc.runAsUser == 0

_uid_zero(c) := [array.concat(pod.path, ["securityContext", "runAsUser"])] if {
	not is_number(c.sc.runAsUser)
	pod.sc.runAsUser == 0
}

_windows if pod.spec.os.name == "windows"

# METADATA
# title: Writable root filesystem
# description: |
#   A read-only root filesystem stops an intruder from dropping tools or
#   changing binaries in the container; writable paths become explicit volumes.
# custom:
#   id: k8s/writable-root-filesystem
#   severity: warning
#   remediation: >-
#     Set `securityContext.readOnlyRootFilesystem: true` and mount an emptyDir where the app must write.
deny contains {
	"rule": "k8s/writable-root-filesystem",
	"msg": sprintf("container '%s' has a writable root filesystem: set securityContext.readOnlyRootFilesystem to true", [c.name]),
	"path": array.concat(c.path, ["securityContext", "readOnlyRootFilesystem"]),
} if {
	some c in containers
	c.field != "ephemeralContainers"
	not c.sc.readOnlyRootFilesystem == true
	not _windows
}

# METADATA
# title: Host namespaces shared
# description: |
#   hostNetwork, hostPID and hostIPC put the pod in the node's network,
#   process or IPC namespace: it can sniff node traffic, see and signal every
#   process, or read shared memory of other pods.
# custom:
#   id: k8s/host-namespaces
#   severity: error
#   remediation: Remove `hostNetwork`, `hostPID` and `hostIPC` (or set them to false).
deny contains {
	"rule": "k8s/host-namespaces",
	"msg": sprintf("pod shares the node's %s namespace: remove %s: true", [_namespace_name[field], field]),
	"path": array.concat(pod.path, [field]),
} if {
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	pod.spec[field] == true
}

_namespace_name := {"hostNetwork": "network", "hostPID": "process", "hostIPC": "IPC"}

# METADATA
# title: hostPort used
# description: |
#   A hostPort binds the node's port: it bypasses network policies, limits
#   where the pod can schedule, and exposes the container on the node's address.
# custom:
#   id: k8s/host-port
#   severity: warning
#   remediation: Remove `hostPort`; expose the container through a Service instead.
deny contains {
	"rule": "k8s/host-port",
	"msg": sprintf("container '%s' binds host port %d: remove hostPort and use a Service", [c.name, port.hostPort]),
	"path": array.concat(c.path, ["ports", i, "hostPort"]),
} if {
	some c in containers
	some i
	port := c.container.ports[i]
	is_number(port.hostPort)
	port.hostPort > 0
}

# METADATA
# title: Dangerous capability added
# description: |
#   SYS_ADMIN is nearly root, NET_ADMIN rewrites the node's network as seen
#   by the pod, SYS_MODULE loads kernel modules, SYS_PTRACE reads other
#   processes' memory, and ALL is all of them.
# custom:
#   id: k8s/dangerous-capabilities
#   severity: error
#   remediation: Remove the capability from `securityContext.capabilities.add`; add only narrow ones such as NET_BIND_SERVICE.
deny contains {
	"rule": "k8s/dangerous-capabilities",
	"msg": sprintf("container '%s' adds capability %s: remove it from securityContext.capabilities.add", [c.name, cap]),
	"path": array.concat(c.path, ["securityContext", "capabilities", "add", i]),
} if {
	some c in containers
	some i
	cap := c.sc.capabilities.add[i]
	is_string(cap)
	_capability(cap) in _dangerous
}

_dangerous := {"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "BPF", "DAC_READ_SEARCH"}

_capability(cap) := trim_prefix(upper(cap), "CAP_")

# METADATA
# title: Capabilities not dropped
# description: |
#   Containers start with a default set of capabilities (NET_RAW among them)
#   most programs never use; dropping ALL and adding back what is needed
#   removes that attack surface.
# custom:
#   id: k8s/capabilities-not-dropped
#   severity: warning
#   remediation: >-
#     Set `securityContext.capabilities.drop: ["ALL"]`, then add back only what the process needs.
deny contains {
	"rule": "k8s/capabilities-not-dropped",
	"msg": sprintf("container '%s' keeps the default capabilities: add ALL to securityContext.capabilities.drop", [c.name]),
	"path": array.concat(c.path, ["securityContext", "capabilities", "drop"]),
} if {
	some c in containers
	c.field != "ephemeralContainers"
	not _drops_all(c.sc)
	not _windows
}

_drops_all(sc) if {
	cap := sc.capabilities.drop[_]
	is_string(cap)
	_capability(cap) == "ALL"
}

# METADATA
# title: hostPath volume
# description: |
#   A hostPath volume mounts a folder of the node into the pod: it can read
#   other pods' data and node credentials, and write where the node trusts it.
# custom:
#   id: k8s/host-path-volume
#   severity: warning
#   remediation: Use a PersistentVolumeClaim, emptyDir, configMap or secret volume instead of `hostPath`.
deny contains {
	"rule": "k8s/host-path-volume",
	"msg": sprintf("volume '%s' mounts host path %s: use a PersistentVolumeClaim or emptyDir instead", [object.get(volume, "name", ""), volume.hostPath.path]),
	"path": array.concat(pod.path, ["volumes", i, "hostPath"]),
} if {
	some i
	volume := pod.spec.volumes[i]
	is_string(volume.hostPath.path)
	not _runtime_socket(volume.hostPath.path)
}

# METADATA
# title: Container runtime socket mounted
# description: |
#   The Docker, containerd or CRI-O socket controls every container on the
#   node: whoever can talk to it is root on the node.
# custom:
#   id: k8s/docker-socket-mount
#   severity: error
#   remediation: Remove the hostPath volume of the runtime socket; build images with a rootless builder (kaniko, buildkit rootless) instead.
deny contains {
	"rule": "k8s/docker-socket-mount",
	"msg": sprintf("volume '%s' mounts the container runtime socket %s: remove it, it gives root on the node", [object.get(volume, "name", ""), volume.hostPath.path]),
	"path": array.concat(pod.path, ["volumes", i, "hostPath", "path"]),
} if {
	some i
	volume := pod.spec.volumes[i]
	is_string(volume.hostPath.path)
	_runtime_socket(volume.hostPath.path)
}

_runtime_socket(path) if {
	clean := trim_right(path, "/")
	clean in {"/var/run", "/run", "/var/run/docker", "/run/docker", "/var/run/containerd", "/run/containerd", "/var/run/crio", "/run/crio"}
}

_runtime_socket(path) if {
	regex.match(`^(/var)?/run/(docker|containerd/containerd|crio/crio|cri-dockerd|podman/podman|k3s/containerd/containerd)\.sock$`, path)
}

# METADATA
# title: Unsafe sysctl
# description: |
#   Only a few namespaced sysctls are safe to set per pod; the others change
#   kernel behaviour for the whole node or every pod on it.
# custom:
#   id: k8s/unsafe-sysctls
#   severity: error
#   remediation: Remove the sysctl from `securityContext.sysctls`, or set it on the node.
deny contains {
	"rule": "k8s/unsafe-sysctls",
	"msg": sprintf("pod sets unsafe sysctl %s: remove it from securityContext.sysctls", [sysctl.name]),
	"path": array.concat(pod.path, ["securityContext", "sysctls", i]),
} if {
	some i
	sysctl := pod.sc.sysctls[i]
	is_string(sysctl.name)
	not sysctl.name in _safe_sysctls
}

# The Pod Security Standards' baseline list of safe sysctls.
_safe_sysctls := {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
}

# METADATA
# title: Seccomp profile Unconfined
# description: |
#   An Unconfined seccomp profile lets the container make every system call,
#   including the rare ones most kernel exploits need.
# custom:
#   id: k8s/seccomp-unconfined
#   severity: error
#   remediation: Set `securityContext.seccompProfile.type` to `RuntimeDefault` (or `Localhost` with a profile).
deny contains {
	"rule": "k8s/seccomp-unconfined",
	"msg": "pod sets seccomp profile Unconfined: use RuntimeDefault",
	"path": array.concat(pod.path, ["securityContext", "seccompProfile", "type"]),
} if {
	pod.sc.seccompProfile.type == "Unconfined"
}

deny contains {
	"rule": "k8s/seccomp-unconfined",
	"msg": sprintf("container '%s' sets seccomp profile Unconfined: use RuntimeDefault", [c.name]),
	"path": array.concat(c.path, ["securityContext", "seccompProfile", "type"]),
} if {
	some c in containers
	c.sc.seccompProfile.type == "Unconfined"
}

deny contains {
	"rule": "k8s/seccomp-unconfined",
	"msg": sprintf("annotation %s is unconfined: set securityContext.seccompProfile.type to RuntimeDefault", [key]),
	"path": array.concat(pod.meta_path, ["annotations", key]),
} if {
	some key
	value := object.get(input.document, array.concat(pod.meta_path, ["annotations"]), {})[key]
	startswith(key, "seccomp.security.alpha.kubernetes.io/")
	value == "unconfined"
}

# METADATA
# title: Service account token mounted
# description: |
#   Pods get an API token mounted by default; most never call the API, and a
#   compromised one can use the token against the cluster.
# custom:
#   id: k8s/automount-service-account-token
#   severity: info
#   remediation: >-
#     Set `automountServiceAccountToken: false` in the pod spec (or on the ServiceAccount) unless the app calls the Kubernetes API.
deny contains {
	"rule": "k8s/automount-service-account-token",
	"msg": "pod mounts a service account token: set automountServiceAccountToken to false unless it calls the Kubernetes API",
	"path": array.concat(pod.path, ["automountServiceAccountToken"]),
} if {
	pod
	not pod.spec.automountServiceAccountToken == false
}
