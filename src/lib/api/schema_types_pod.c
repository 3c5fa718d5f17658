/*
 * The type definitions of Pod (core/v1) and its parts (containers, volumes,
 * the pod spec and status), as k8s.io/api defines them; see schema_types.c
 * for the other kinds and the types they share. Structs are defined
 * bottom-up because each table points at the tables of its fields.
 */
#include "api/schema-internal.h"
#include "api/schema_types-internal.h"

#include <stddef.h>

/* The tables name only the members they set; the rest are NULL on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* ---- Pod: containers ---- */

static const struct schema_field F_ContainerPort[] = {{"containerPort", I32, REQ},
						      {"hostIP", STR},
						      {"hostPort", I32},
						      {"name", STR},
						      {"protocol", STR, GO("v1.Protocol")},
						      END};
DEF(ContainerPort, CORE("ContainerPort"),
    "ContainerPort represents a network port in a single container.");

static const struct schema_field F_ObjectFieldSelector[] = {
    {"apiVersion", STR}, {"fieldPath", STR, REQ}, END};
DEF_ATOMIC(ObjectFieldSelector, CORE("ObjectFieldSelector"),
	   "ObjectFieldSelector selects an APIVersioned field of an object.");

static const struct schema_field F_ResourceFieldSelector[] = {
    {"containerName", STR}, {"divisor", &schema_T_Quantity}, {"resource", STR, REQ}, END};
DEF_ATOMIC(ResourceFieldSelector, CORE("ResourceFieldSelector"),
	   "ResourceFieldSelector represents container resources (cpu, memory) and their output "
	   "format");

static const struct schema_field F_ConfigMapKeySelector[] = {
    {"key", STR, REQ}, {"name", STR}, {"optional", BOOL}, END};
DEF_ATOMIC(ConfigMapKeySelector, CORE("ConfigMapKeySelector"), "Selects a key from a ConfigMap.");

static const struct schema_field F_SecretKeySelector[] = {
    {"key", STR, REQ}, {"name", STR}, {"optional", BOOL}, END};
DEF_ATOMIC(SecretKeySelector, CORE("SecretKeySelector"),
	   "SecretKeySelector selects a key of a Secret.");

static const struct schema_field F_EnvVarSource[] = {{"configMapKeyRef", &T_ConfigMapKeySelector},
						     {"fieldRef", &T_ObjectFieldSelector},
						     {"resourceFieldRef", &T_ResourceFieldSelector},
						     {"secretKeyRef", &T_SecretKeySelector},
						     END};
DEF(EnvVarSource, CORE("EnvVarSource"),
    "EnvVarSource represents a source for the value of an "
    "EnvVar.");

static const struct schema_field F_EnvVar[] = {
    {"name", STR, REQ}, {"value", STR}, {"valueFrom", &T_EnvVarSource}, END};
DEF(EnvVar, CORE("EnvVar"), "EnvVar represents an environment variable present in a Container.");

static const struct schema_field F_ConfigMapEnvSource[] = {{"name", STR}, {"optional", BOOL}, END};
DEF(ConfigMapEnvSource, CORE("ConfigMapEnvSource"),
    "ConfigMapEnvSource selects a ConfigMap to populate the environment variables with.");

static const struct schema_field F_SecretEnvSource[] = {{"name", STR}, {"optional", BOOL}, END};
DEF(SecretEnvSource, CORE("SecretEnvSource"),
    "SecretEnvSource selects a Secret to populate the environment variables with.");

static const struct schema_field F_EnvFromSource[] = {{"configMapRef", &T_ConfigMapEnvSource},
						      {"prefix", STR},
						      {"secretRef", &T_SecretEnvSource},
						      END};
DEF(EnvFromSource, CORE("EnvFromSource"),
    "EnvFromSource represents the source of a set of ConfigMaps");

static const struct schema_field F_ResourceClaim[] = {{"name", STR, REQ}, {"request", STR}, END};
DEF(ResourceClaim, CORE("ResourceClaim"),
    "ResourceClaim references one entry in PodSpec.ResourceClaims.");

static const struct schema_field F_ResourceRequirements[] = {
    {"claims", ARR(&T_ResourceClaim), LMAP("name")},
    {"limits", RESLIST, GO("v1.ResourceList")},
    {"requests", RESLIST, GO("v1.ResourceList")},
    END};
DEF(ResourceRequirements, CORE("ResourceRequirements"),
    "ResourceRequirements describes the compute resource requirements.");

static const struct schema_field F_ContainerResizePolicy[] = {
    {"resourceName", STR, REQ, GO("v1.ResourceName")},
    {"restartPolicy", STR, REQ, GO("v1.ResourceResizeRestartPolicy")},
    END};
DEF(ContainerResizePolicy, CORE("ContainerResizePolicy"),
    "ContainerResizePolicy represents resource resize policy for the container.");

static const struct schema_field F_VolumeMount[] = {
    {"mountPath", STR, REQ},
    {"mountPropagation", STR, GO("v1.MountPropagationMode")},
    {"name", STR, REQ},
    {"readOnly", BOOL},
    {"recursiveReadOnly", STR, GO("v1.RecursiveReadOnlyMode")},
    {"subPath", STR},
    {"subPathExpr", STR},
    END};
DEF(VolumeMount, CORE("VolumeMount"),
    "VolumeMount describes a mounting of a Volume within a container.");

static const struct schema_field F_VolumeDevice[] = {
    {"devicePath", STR, REQ}, {"name", STR, REQ}, END};
DEF(VolumeDevice, CORE("VolumeDevice"),
    "volumeDevice describes a mapping of a raw block device within a container.");

static const struct schema_field F_ExecAction[] = {{"command", STRS, ATOMIC}, END};
DEF(ExecAction, CORE("ExecAction"), "ExecAction describes a \"run in container\" action.");

static const struct schema_field F_HTTPHeader[] = {{"name", STR, REQ}, {"value", STR, REQ}, END};
DEF(HTTPHeader, CORE("HTTPHeader"),
    "HTTPHeader describes a custom header to be used in HTTP "
    "probes");

static const struct schema_field F_HTTPGetAction[] = {{"host", STR},
						      {"httpHeaders", ARR(&T_HTTPHeader), ATOMIC},
						      {"path", STR},
						      {"port", &schema_T_IntOrString, REQ},
						      {"scheme", STR, GO("v1.URIScheme")},
						      END};
DEF(HTTPGetAction, CORE("HTTPGetAction"),
    "HTTPGetAction describes an action based on HTTP Get requests.");

static const struct schema_field F_TCPSocketAction[] = {
    {"host", STR}, {"port", &schema_T_IntOrString, REQ}, END};
DEF(TCPSocketAction, CORE("TCPSocketAction"),
    "TCPSocketAction describes an action based on opening a socket");

static const struct schema_field F_GRPCAction[] = {{"port", I32, REQ}, {"service", STR}, END};
DEF(GRPCAction, CORE("GRPCAction"), "GRPCAction specifies an action involving a GRPC service.");

static const struct schema_field F_SleepAction[] = {{"seconds", I64, REQ}, END};
DEF(SleepAction, CORE("SleepAction"), "SleepAction describes a \"sleep\" action.");

static const struct schema_field F_Probe[] = {{"exec", &T_ExecAction},
					      {"failureThreshold", I32},
					      {"grpc", &T_GRPCAction},
					      {"httpGet", &T_HTTPGetAction},
					      {"initialDelaySeconds", I32},
					      {"periodSeconds", I32},
					      {"successThreshold", I32},
					      {"tcpSocket", &T_TCPSocketAction},
					      {"terminationGracePeriodSeconds", I64},
					      {"timeoutSeconds", I32},
					      END};
DEF(Probe, CORE("Probe"),
    "Probe describes a health check to be performed against a container to "
    "determine whether it is alive or ready to receive traffic.");

static const struct schema_field F_LifecycleHandler[] = {{"exec", &T_ExecAction},
							 {"httpGet", &T_HTTPGetAction},
							 {"sleep", &T_SleepAction},
							 {"tcpSocket", &T_TCPSocketAction},
							 END};
DEF(LifecycleHandler, CORE("LifecycleHandler"),
    "LifecycleHandler defines a specific action that should be taken in a lifecycle hook.");

static const struct schema_field F_Lifecycle[] = {
    {"postStart", &T_LifecycleHandler}, {"preStop", &T_LifecycleHandler}, END};
DEF(Lifecycle, CORE("Lifecycle"),
    "Lifecycle describes actions that the management system should "
    "take in response to container lifecycle events.");

static const struct schema_field F_Capabilities[] = {{"add", STRS, ATOMIC, GO("[]v1.Capability")},
						     {"drop", STRS, ATOMIC, GO("[]v1.Capability")},
						     END};
DEF(Capabilities, CORE("Capabilities"),
    "Adds and removes POSIX capabilities from running "
    "containers.");

static const struct schema_field F_SELinuxOptions[] = {
    {"level", STR}, {"role", STR}, {"type", STR}, {"user", STR}, END};
DEF(SELinuxOptions, CORE("SELinuxOptions"),
    "SELinuxOptions are the labels to be applied to the container");

static const struct schema_field F_WindowsSecurityContextOptions[] = {
    {"gmsaCredentialSpec", STR},
    {"gmsaCredentialSpecName", STR},
    {"hostProcess", BOOL},
    {"runAsUserName", STR},
    END};
DEF(WindowsSecurityContextOptions, CORE("WindowsSecurityContextOptions"),
    "WindowsSecurityContextOptions contain Windows-specific options and credentials.");

static const struct schema_field F_SeccompProfile[] = {
    {"localhostProfile", STR}, {"type", STR, REQ, GO("v1.SeccompProfileType")}, END};
DEF(SeccompProfile, CORE("SeccompProfile"),
    "SeccompProfile defines a pod/container's seccomp profile settings.");

static const struct schema_field F_AppArmorProfile[] = {
    {"localhostProfile", STR}, {"type", STR, REQ, GO("v1.AppArmorProfileType")}, END};
DEF(AppArmorProfile, CORE("AppArmorProfile"),
    "AppArmorProfile defines a pod or container's AppArmor settings.");

static const struct schema_field F_SecurityContext[] = {
    {"allowPrivilegeEscalation", BOOL},
    {"appArmorProfile", &T_AppArmorProfile},
    {"capabilities", &T_Capabilities},
    {"privileged", BOOL},
    {"procMount", STR, GO("v1.ProcMountType")},
    {"readOnlyRootFilesystem", BOOL},
    {"runAsGroup", I64},
    {"runAsNonRoot", BOOL},
    {"runAsUser", I64},
    {"seLinuxOptions", &T_SELinuxOptions},
    {"seccompProfile", &T_SeccompProfile},
    {"windowsOptions", &T_WindowsSecurityContextOptions},
    END};
DEF(SecurityContext, CORE("SecurityContext"),
    "SecurityContext holds security configuration that will be applied to a container.");

/* Container and EphemeralContainer share every field but one. */
#define CONTAINER_FIELDS                                                                           \
	{"args", STRS, ATOMIC}, {"command", STRS, ATOMIC},                                         \
	    {"env", ARR(&T_EnvVar), MERGE("name"), LMAP("name")},                                  \
	    {"envFrom", ARR(&T_EnvFromSource), ATOMIC}, {"image", STR},                            \
	    {"imagePullPolicy", STR, GO("v1.PullPolicy")}, {"lifecycle", &T_Lifecycle},            \
	    {"livenessProbe", &T_Probe}, {"name", STR, REQ},                                       \
	    {"ports", ARR(&T_ContainerPort), MERGE("containerPort"),                               \
	     LMAP("containerPort,protocol")},                                                      \
	    {"readinessProbe", &T_Probe}, {"resizePolicy", ARR(&T_ContainerResizePolicy), ATOMIC}, \
	    {"resources", &T_ResourceRequirements}, {"restartPolicy", STR},                        \
	    {"securityContext", &T_SecurityContext}, {"startupProbe", &T_Probe}, {"stdin", BOOL},  \
	    {"stdinOnce", BOOL}, {"terminationMessagePath", STR},                                  \
	    {"terminationMessagePolicy", STR, GO("v1.TerminationMessagePolicy")}, {"tty", BOOL},   \
	    {"volumeDevices", ARR(&T_VolumeDevice), MERGE("devicePath"), LMAP("devicePath")},      \
	    {"volumeMounts", ARR(&T_VolumeMount), MERGE("mountPath"), LMAP("mountPath")},          \
	{                                                                                          \
		"workingDir", STR                                                                  \
	}

static const struct schema_field F_Container[] = {CONTAINER_FIELDS, END};
DEF(Container, CORE("Container"),
    "A single application container that you want to run within a "
    "pod.");

static const struct schema_field F_EphemeralContainer[] = {
    CONTAINER_FIELDS, {"targetContainerName", STR}, END};
DEF(EphemeralContainer, CORE("EphemeralContainer"),
    "An EphemeralContainer is a temporary container that you may add to an existing Pod for "
    "user-initiated activities such as debugging.");

/* ---- Pod: volumes ---- */

static const struct schema_field F_KeyToPath[] = {
    {"key", STR, REQ}, {"mode", I32}, {"path", STR, REQ}, END};
DEF(KeyToPath, CORE("KeyToPath"), "Maps a string key to a path within a volume.");

static const struct schema_field F_HostPathVolumeSource[] = {
    {"path", STR, REQ}, {"type", STR, GO("v1.HostPathType")}, END};
DEF(HostPathVolumeSource, CORE("HostPathVolumeSource"),
    "Represents a host path mapped into a pod.");

static const struct schema_field F_EmptyDirVolumeSource[] = {
    {"medium", STR, GO("v1.StorageMedium")}, {"sizeLimit", &schema_T_Quantity}, END};
DEF(EmptyDirVolumeSource, CORE("EmptyDirVolumeSource"), "Represents an empty directory for a pod.");

static const struct schema_field F_SecretVolumeSource[] = {{"defaultMode", I32},
							   {"items", ARR(&T_KeyToPath), ATOMIC},
							   {"optional", BOOL},
							   {"secretName", STR},
							   END};
DEF(SecretVolumeSource, CORE("SecretVolumeSource"), "Adapts a Secret into a volume.");

static const struct schema_field F_ConfigMapVolumeSource[] = {{"defaultMode", I32},
							      {"items", ARR(&T_KeyToPath), ATOMIC},
							      {"name", STR},
							      {"optional", BOOL},
							      END};
DEF(ConfigMapVolumeSource, CORE("ConfigMapVolumeSource"), "Adapts a ConfigMap into a volume.");

static const struct schema_field F_PersistentVolumeClaimVolumeSource[] = {
    {"claimName", STR, REQ}, {"readOnly", BOOL}, END};
DEF(PersistentVolumeClaimVolumeSource, CORE("PersistentVolumeClaimVolumeSource"),
    "PersistentVolumeClaimVolumeSource references the user's PVC in the same namespace.");

static const struct schema_field F_DownwardAPIVolumeFile[] = {
    {"fieldRef", &T_ObjectFieldSelector},
    {"mode", I32},
    {"path", STR, REQ},
    {"resourceFieldRef", &T_ResourceFieldSelector},
    END};
DEF(DownwardAPIVolumeFile, CORE("DownwardAPIVolumeFile"),
    "DownwardAPIVolumeFile represents information to create the file containing the pod field");

static const struct schema_field F_DownwardAPIVolumeSource[] = {
    {"defaultMode", I32}, {"items", ARR(&T_DownwardAPIVolumeFile), ATOMIC}, END};
DEF(DownwardAPIVolumeSource, CORE("DownwardAPIVolumeSource"),
    "DownwardAPIVolumeSource represents a volume containing downward API info.");

static const struct schema_type T_VolumeProjection = {
    SK_ANY, CORE("VolumeProjection"), "v1.VolumeProjection",
    "Projection that may be projected along with other supported volume types."};

static const struct schema_field F_ProjectedVolumeSource[] = {
    {"defaultMode", I32}, {"sources", ARR(&T_VolumeProjection), ATOMIC}, END};
DEF(ProjectedVolumeSource, CORE("ProjectedVolumeSource"), "Represents a projected volume source");

static const struct schema_field F_NFSVolumeSource[] = {
    {"path", STR, REQ}, {"readOnly", BOOL}, {"server", STR, REQ}, END};
DEF(NFSVolumeSource, CORE("NFSVolumeSource"),
    "Represents an NFS mount that lasts the lifetime of "
    "a pod.");

static const struct schema_field F_ImageVolumeSource[] = {
    {"pullPolicy", STR, GO("v1.PullPolicy")}, {"reference", STR}, END};
DEF(ImageVolumeSource, CORE("ImageVolumeSource"),
    "ImageVolumeSource represents a image volume resource.");

/* Volume sources svcnet's agent does not run are kept whole, not modelled field by field. */
static const struct schema_type T_CSIVolumeSource = {
    SK_ANY, CORE("CSIVolumeSource"), "v1.CSIVolumeSource",
    "Represents a source location of a volume to mount, managed by an external CSI driver"};
static const struct schema_type T_EphemeralVolumeSource = {
    SK_ANY, CORE("EphemeralVolumeSource"), "v1.EphemeralVolumeSource",
    "Represents an ephemeral volume that is handled by a normal storage driver."};

static const struct schema_field F_Volume[] = {
    {"configMap", &T_ConfigMapVolumeSource},
    {"csi", &T_CSIVolumeSource},
    {"downwardAPI", &T_DownwardAPIVolumeSource},
    {"emptyDir", &T_EmptyDirVolumeSource},
    {"ephemeral", &T_EphemeralVolumeSource},
    {"hostPath", &T_HostPathVolumeSource},
    {"image", &T_ImageVolumeSource},
    {"name", STR, REQ},
    {"nfs", &T_NFSVolumeSource},
    {"persistentVolumeClaim", &T_PersistentVolumeClaimVolumeSource},
    {"projected", &T_ProjectedVolumeSource},
    {"secret", &T_SecretVolumeSource},
    END};
DEF(Volume, CORE("Volume"),
    "Volume represents a named volume in a pod that may be accessed by any "
    "container in the pod.");

/* ---- Pod: spec ---- */

static const struct schema_field F_Sysctl[] = {{"name", STR, REQ}, {"value", STR, REQ}, END};
DEF(Sysctl, CORE("Sysctl"), "Sysctl defines a kernel parameter to be set");

static const struct schema_field F_PodSecurityContext[] = {
    {"appArmorProfile", &T_AppArmorProfile},
    {"fsGroup", I64},
    {"fsGroupChangePolicy", STR, GO("v1.PodFSGroupChangePolicy")},
    {"runAsGroup", I64},
    {"runAsNonRoot", BOOL},
    {"runAsUser", I64},
    {"seLinuxChangePolicy", STR, GO("v1.PodSELinuxChangePolicy")},
    {"seLinuxOptions", &T_SELinuxOptions},
    {"seccompProfile", &T_SeccompProfile},
    {"supplementalGroups", ARR(&schema_T_int64), ATOMIC},
    {"supplementalGroupsPolicy", STR, GO("v1.SupplementalGroupsPolicy")},
    {"sysctls", ARR(&T_Sysctl), ATOMIC},
    {"windowsOptions", &T_WindowsSecurityContextOptions},
    END};
DEF(PodSecurityContext, CORE("PodSecurityContext"),
    "PodSecurityContext holds pod-level security attributes and common container settings.");

static const struct schema_type T_Affinity = {SK_ANY, CORE("Affinity"), "v1.Affinity",
					      "Affinity is a group of affinity scheduling rules."};

static const struct schema_field F_Toleration[] = {{"effect", STR, GO("v1.TaintEffect")},
						   {"key", STR},
						   {"operator", STR, GO("v1.TolerationOperator")},
						   {"tolerationSeconds", I64},
						   {"value", STR},
						   END};
DEF(Toleration, CORE("Toleration"),
    "The pod this Toleration is attached to tolerates any taint "
    "that matches the triple <key,value,effect>.");

static const struct schema_field F_HostAlias[] = {
    {"hostnames", STRS, ATOMIC}, {"ip", STR, REQ}, END};
DEF(HostAlias, CORE("HostAlias"),
    "HostAlias holds the mapping between IP and hostnames that will "
    "be injected as an entry in the pod's hosts file.");

static const struct schema_field F_PodDNSConfigOption[] = {{"name", STR}, {"value", STR}, END};
DEF(PodDNSConfigOption, CORE("PodDNSConfigOption"),
    "PodDNSConfigOption defines DNS resolver options of a pod.");

static const struct schema_field F_PodDNSConfig[] = {
    {"nameservers", STRS, ATOMIC},
    {"options", ARR(&T_PodDNSConfigOption), ATOMIC},
    {"searches", STRS, ATOMIC},
    END};
DEF(PodDNSConfig, CORE("PodDNSConfig"),
    "PodDNSConfig defines the DNS parameters of a pod in "
    "addition to those generated from DNSPolicy.");

static const struct schema_field F_PodReadinessGate[] = {
    {"conditionType", STR, REQ, GO("v1.PodConditionType")}, END};
DEF(PodReadinessGate, CORE("PodReadinessGate"),
    "PodReadinessGate contains the reference to a pod condition");

static const struct schema_field F_TopologySpreadConstraint[] = {
    {"labelSelector", &schema_T_LabelSelector},
    {"matchLabelKeys", STRS, ATOMIC},
    {"maxSkew", I32, REQ},
    {"minDomains", I32},
    {"nodeAffinityPolicy", STR, GO("v1.NodeInclusionPolicy")},
    {"nodeTaintsPolicy", STR, GO("v1.NodeInclusionPolicy")},
    {"topologyKey", STR, REQ},
    {"whenUnsatisfiable", STR, REQ, GO("v1.UnsatisfiableConstraintAction")},
    END};
DEF(TopologySpreadConstraint, CORE("TopologySpreadConstraint"),
    "TopologySpreadConstraint specifies how to spread matching pods among the given topology.");

static const struct schema_field F_PodOS[] = {{"name", STR, REQ, GO("v1.OSName")}, END};
DEF(PodOS, CORE("PodOS"), "PodOS defines the OS parameters of a pod.");

static const struct schema_field F_PodSchedulingGate[] = {{"name", STR, REQ}, END};
DEF(PodSchedulingGate, CORE("PodSchedulingGate"),
    "PodSchedulingGate is associated to a Pod to guard its scheduling.");

static const struct schema_field F_PodResourceClaim[] = {
    {"name", STR, REQ}, {"resourceClaimName", STR}, {"resourceClaimTemplateName", STR}, END};
DEF(PodResourceClaim, CORE("PodResourceClaim"),
    "PodResourceClaim references exactly one ResourceClaim.");

static const struct schema_field F_PodSpec[] = {
    {"activeDeadlineSeconds", I64},
    {"affinity", &T_Affinity},
    {"automountServiceAccountToken", BOOL},
    {"containers", ARR(&T_Container), REQ, MERGE("name"), LMAP("name")},
    {"dnsConfig", &T_PodDNSConfig},
    {"dnsPolicy", STR, GO("v1.DNSPolicy")},
    {"enableServiceLinks", BOOL},
    {"ephemeralContainers", ARR(&T_EphemeralContainer), MERGE("name"), LMAP("name")},
    {"hostAliases", ARR(&T_HostAlias), MERGE("ip"), LMAP("ip")},
    {"hostIPC", BOOL},
    {"hostNetwork", BOOL},
    {"hostPID", BOOL},
    {"hostUsers", BOOL},
    {"hostname", STR},
    {"imagePullSecrets", ARR(&schema_T_LocalObjectReference), MERGE("name"), LMAP("name")},
    {"initContainers", ARR(&T_Container), MERGE("name"), LMAP("name")},
    {"nodeName", STR},
    {"nodeSelector", LABELS, .map_type = "atomic"},
    {"os", &T_PodOS},
    {"overhead", RESLIST, GO("v1.ResourceList")},
    {"preemptionPolicy", STR, GO("v1.PreemptionPolicy")},
    {"priority", I32},
    {"priorityClassName", STR},
    {"readinessGates", ARR(&T_PodReadinessGate), ATOMIC},
    {"resourceClaims", ARR(&T_PodResourceClaim), .merge_key = "name",
     .strategy = "merge,retainKeys", LMAP("name")},
    {"resources", &T_ResourceRequirements},
    {"restartPolicy", STR, GO("v1.RestartPolicy")},
    {"runtimeClassName", STR},
    {"schedulerName", STR},
    {"schedulingGates", ARR(&T_PodSchedulingGate), MERGE("name"), LMAP("name")},
    {"securityContext", &T_PodSecurityContext},
    {"serviceAccount", STR},
    {"serviceAccountName", STR},
    {"setHostnameAsFQDN", BOOL},
    {"shareProcessNamespace", BOOL},
    {"subdomain", STR},
    {"terminationGracePeriodSeconds", I64},
    {"tolerations", ARR(&T_Toleration), ATOMIC},
    {"topologySpreadConstraints", ARR(&T_TopologySpreadConstraint), MERGE("topologyKey"),
     LMAP("topologyKey,whenUnsatisfiable")},
    {"volumes", ARR(&T_Volume), .merge_key = "name", .strategy = "merge,retainKeys", LMAP("name")},
    END};
DEF(PodSpec, CORE("PodSpec"), "PodSpec is a description of a pod.");

/* ---- Pod: status ---- */

static const struct schema_field F_PodCondition[] = {{"lastProbeTime", &schema_T_Time},
						     {"lastTransitionTime", &schema_T_Time},
						     {"message", STR},
						     {"reason", STR},
						     {"status", STR, REQ, GO("v1.ConditionStatus")},
						     {"type", STR, REQ, GO("v1.PodConditionType")},
						     END};
DEF(PodCondition, CORE("PodCondition"),
    "PodCondition contains details for the current condition of this pod.");

static const struct schema_field F_HostIP[] = {{"ip", STR, REQ}, END};
DEF(HostIP, CORE("HostIP"), "HostIP represents a single IP address allocated to the host.");

static const struct schema_field F_PodIP[] = {{"ip", STR, REQ}, END};
DEF(PodIP, CORE("PodIP"), "PodIP represents a single IP address allocated to the pod.");

static const struct schema_field F_ContainerStateWaiting[] = {
    {"message", STR}, {"reason", STR}, END};
DEF(ContainerStateWaiting, CORE("ContainerStateWaiting"),
    "ContainerStateWaiting is a waiting state of a container.");

static const struct schema_field F_ContainerStateRunning[] = {{"startedAt", &schema_T_Time}, END};
DEF(ContainerStateRunning, CORE("ContainerStateRunning"),
    "ContainerStateRunning is a running state of a container.");

static const struct schema_field F_ContainerStateTerminated[] = {
    {"containerID", STR}, {"exitCode", I32, REQ}, {"finishedAt", &schema_T_Time}, {"message", STR},
    {"reason", STR},	  {"signal", I32},	  {"startedAt", &schema_T_Time},  END};
DEF(ContainerStateTerminated, CORE("ContainerStateTerminated"),
    "ContainerStateTerminated is a terminated state of a container.");

static const struct schema_field F_ContainerState[] = {{"running", &T_ContainerStateRunning},
						       {"terminated", &T_ContainerStateTerminated},
						       {"waiting", &T_ContainerStateWaiting},
						       END};
DEF(ContainerState, CORE("ContainerState"), "ContainerState holds a possible state of container.");

static const struct schema_field F_VolumeMountStatus[] = {
    {"mountPath", STR, REQ},
    {"name", STR, REQ},
    {"readOnly", BOOL},
    {"recursiveReadOnly", STR, GO("v1.RecursiveReadOnlyMode")},
    END};
DEF(VolumeMountStatus, CORE("VolumeMountStatus"),
    "VolumeMountStatus shows status of volume mounts.");

static const struct schema_type T_ContainerUser = {
    SK_ANY, CORE("ContainerUser"), "v1.ContainerUser",
    "ContainerUser represents user identity information"};
static const struct schema_type T_ResourceStatus = {
    SK_ANY, CORE("ResourceStatus"), "v1.ResourceStatus",
    "ResourceStatus represents the status of a single resource allocated to a Pod."};

static const struct schema_field F_ContainerStatus[] = {
    {"allocatedResources", RESLIST, GO("v1.ResourceList")},
    {"allocatedResourcesStatus", ARR(&T_ResourceStatus), MERGE("name"), LMAP("name")},
    {"containerID", STR},
    {"image", STR, REQ},
    {"imageID", STR, REQ},
    {"lastState", &T_ContainerState},
    {"name", STR, REQ},
    {"ready", BOOL, REQ},
    {"resources", &T_ResourceRequirements},
    {"restartCount", I32, REQ},
    {"started", BOOL},
    {"state", &T_ContainerState},
    {"user", &T_ContainerUser},
    {"volumeMounts", ARR(&T_VolumeMountStatus), MERGE("mountPath"), LMAP("mountPath")},
    END};
DEF(ContainerStatus, CORE("ContainerStatus"),
    "ContainerStatus contains details for the current status of this container.");

static const struct schema_field F_PodResourceClaimStatus[] = {
    {"name", STR, REQ}, {"resourceClaimName", STR}, END};
DEF(PodResourceClaimStatus, CORE("PodResourceClaimStatus"),
    "PodResourceClaimStatus is stored in the PodStatus for each PodResourceClaim.");

static const struct schema_field F_PodStatus[] = {
    {"conditions", ARR(&T_PodCondition), MERGE("type"), LMAP("type")},
    {"containerStatuses", ARR(&T_ContainerStatus), ATOMIC},
    {"ephemeralContainerStatuses", ARR(&T_ContainerStatus), ATOMIC},
    {"hostIP", STR},
    {"hostIPs", ARR(&T_HostIP), MERGE("ip"), ATOMIC},
    {"initContainerStatuses", ARR(&T_ContainerStatus), ATOMIC},
    {"message", STR},
    {"nominatedNodeName", STR},
    {"phase", STR, GO("v1.PodPhase")},
    {"podIP", STR},
    {"podIPs", ARR(&T_PodIP), MERGE("ip"), LMAP("ip")},
    {"qosClass", STR, GO("v1.PodQOSClass")},
    {"reason", STR},
    {"resize", STR, GO("v1.PodResizeStatus")},
    {"resourceClaimStatuses", ARR(&T_PodResourceClaimStatus), .merge_key = "name",
     .strategy = "merge,retainKeys", LMAP("name")},
    {"startTime", &schema_T_Time},
    END};
DEF(PodStatus, CORE("PodStatus"), "PodStatus represents information about the status of a pod.");

static const struct schema_field F_Pod[] = {
    KIND_HEAD(schema_T_ObjectMeta), {"spec", &T_PodSpec}, {"status", &T_PodStatus}, END};
KIND(Pod, CORE("Pod"), "",
     "Pod is a collection of containers that can run on a host. This resource is created by "
     "clients and scheduled onto hosts.");
LIST(PodList, Pod, CORE("PodList"), "", "PodList is a list of Pods.");

const struct schema_type *const schema_pod_kinds[] = {&T_Pod, &T_PodList, NULL};
