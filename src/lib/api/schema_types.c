/*
 * The type definitions of every served kind, as k8s.io/api (core/v1,
 * discovery/v1) and apimachinery (meta/v1) define them: JSON names, types,
 * required fields and the patch metadata their OpenAPI carries. Structs are
 * defined bottom-up because each table points at the tables of its fields.
 */
#include "api/schema-internal.h"

#include <stddef.h>
#include <string.h>

/* The tables name only the members they set; the rest are NULL on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define ARR(t)	 (&(const struct schema_type){SK_ARRAY, NULL, NULL, NULL, NULL, (t)})
#define MAP(t)	 (&(const struct schema_type){SK_MAP, NULL, NULL, NULL, NULL, (t)})
#define CORE(n)	 "io.k8s.api.core.v1." n
#define META(n)	 "io.k8s.apimachinery.pkg.apis.meta.v1." n
#define DISC(n)	 "io.k8s.api.discovery.v1." n
#define COORD(n) "io.k8s.api.coordination.v1." n
/* A struct type named var whose fields are F_var. */
#define DEF(var, oname, d)                                                                         \
	static const struct schema_type T_##var = {SK_STRUCT, oname, "v1." #var, d, F_##var}
#define DEF_ATOMIC(var, oname, d)                                                                  \
	static const struct schema_type T_##var = {SK_STRUCT, oname,   "v1." #var,                 \
						   d,	      F_##var, .map_type = "atomic"}
#define REQ	   .flags = SF_REQUIRED
#define MERGE(k)   .merge_key = k, .strategy = "merge"
#define LMAP(keys) .list_type = "map", .list_keys = keys
#define ATOMIC	   .list_type = "atomic"
#define SET	   .list_type = "set"
#define GO(t)	   .go_type = t
#define STR	   &T_string
#define I32	   &T_int32
#define I64	   &T_int64
#define BOOL	   &T_bool
#define STRS	   ARR(&T_string)
#define LABELS	   MAP(&T_string)
#define RESLIST	   MAP(&T_Quantity)
#define END                                                                                        \
	{                                                                                          \
		NULL, NULL                                                                         \
	}

static const struct schema_type T_string = {SK_STRING, NULL, "string"};
static const struct schema_type T_int32 = {SK_INT32, NULL, "int32"};
static const struct schema_type T_int64 = {SK_INT64, NULL, "int64"};
static const struct schema_type T_bool = {SK_BOOL, NULL, "bool"};
static const struct schema_type T_IntOrString = {
    SK_INT_OR_STRING, "io.k8s.apimachinery.pkg.util.intstr.IntOrString", "intstr.IntOrString",
    "IntOrString is a type that can hold an int32 or a string."};
static const struct schema_type T_Quantity = {
    SK_QUANTITY, "io.k8s.apimachinery.pkg.api.resource.Quantity", "resource.Quantity",
    "Quantity is a fixed-point representation of a number, serialized as \"<number><suffix>\"."};
static const struct schema_type T_Time = {
    SK_TIME, META("Time"), "v1.Time",
    "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON "
    "(RFC 3339)."};
static const struct schema_type T_MicroTime = {
    SK_MICROTIME, META("MicroTime"), "v1.MicroTime",
    "MicroTime is version of Time with microsecond level precision."};
static const struct schema_type T_FieldsV1 = {
    SK_ANY, META("FieldsV1"), "v1.FieldsV1",
    "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format."};

/* ---- meta/v1 ---- */

static const struct schema_field F_OwnerReference[] = {{"apiVersion", STR, REQ},
						       {"blockOwnerDeletion", BOOL},
						       {"controller", BOOL},
						       {"kind", STR, REQ},
						       {"name", STR, REQ},
						       {"uid", STR, REQ, GO("types.UID")},
						       END};
DEF_ATOMIC(OwnerReference, META("OwnerReference"),
	   "OwnerReference contains enough information to let you identify an owning object.");

static const struct schema_field F_ManagedFieldsEntry[] = {
    {"apiVersion", STR},
    {"fieldsType", STR},
    {"fieldsV1", &T_FieldsV1},
    {"manager", STR},
    {"operation", STR, GO("v1.ManagedFieldsOperationType")},
    {"subresource", STR},
    {"time", &T_Time},
    END};
DEF(ManagedFieldsEntry, META("ManagedFieldsEntry"),
    "ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that "
    "the fieldset applies to.");

static const struct schema_field F_ObjectMeta[] = {
    {"annotations", LABELS, .desc = "Annotations is an unstructured key value map."},
    {"creationTimestamp", &T_Time},
    {"deletionGracePeriodSeconds", I64},
    {"deletionTimestamp", &T_Time},
    {"finalizers", STRS, .strategy = "merge", SET},
    {"generateName", STR},
    {"generation", I64},
    {"labels", LABELS,
     .desc = "Map of string keys and values that can be used to organize and "
	     "categorize (scope and select) objects."},
    {"managedFields", ARR(&T_ManagedFieldsEntry), ATOMIC},
    {"name", STR, .desc = "Name must be unique within a namespace."},
    {"namespace", STR},
    {"ownerReferences", ARR(&T_OwnerReference), MERGE("uid"), LMAP("uid")},
    {"resourceVersion", STR},
    {"selfLink", STR},
    {"uid", STR, GO("types.UID")},
    END};
DEF(ObjectMeta, META("ObjectMeta"),
    "ObjectMeta is metadata that all persisted resources must have, which includes all objects "
    "users must create.");

static const struct schema_field F_ListMeta[] = {{"continue", STR},
						 {"remainingItemCount", I64},
						 {"resourceVersion", STR},
						 {"selfLink", STR},
						 END};
DEF(ListMeta, META("ListMeta"),
    "ListMeta describes metadata that synthetic resources must have, including lists.");

static const struct schema_field F_Condition[] = {{"lastTransitionTime", &T_Time, REQ},
						  {"message", STR, REQ},
						  {"observedGeneration", I64},
						  {"reason", STR, REQ},
						  {"status", STR, REQ, GO("v1.ConditionStatus")},
						  {"type", STR, REQ},
						  END};
DEF(Condition, META("Condition"),
    "Condition contains details for one aspect of the current state of this API Resource.");

static const struct schema_field F_LabelSelectorRequirement[] = {
    {"key", STR, REQ},
    {"operator", STR, REQ, GO("v1.LabelSelectorOperator")},
    {"values", STRS, ATOMIC},
    END};
DEF(LabelSelectorRequirement, META("LabelSelectorRequirement"),
    "A label selector requirement is a selector that contains values, a key, and an operator.");

static const struct schema_field F_LabelSelector[] = {
    {"matchExpressions", ARR(&T_LabelSelectorRequirement), ATOMIC}, {"matchLabels", LABELS}, END};
DEF_ATOMIC(LabelSelector, META("LabelSelector"),
	   "A label selector is a label query over a set of resources.");

static const struct schema_field F_StatusCause[] = {
    {"field", STR}, {"message", STR}, {"reason", STR, GO("v1.CauseType")}, END};
DEF(StatusCause, META("StatusCause"),
    "StatusCause provides more information about an api.Status failure.");

static const struct schema_field F_StatusDetails[] = {{"causes", ARR(&T_StatusCause), ATOMIC},
						      {"group", STR},
						      {"kind", STR},
						      {"name", STR},
						      {"retryAfterSeconds", I32},
						      {"uid", STR, GO("types.UID")},
						      END};
DEF(StatusDetails, META("StatusDetails"),
    "StatusDetails is a set of additional properties that MAY be set by the server.");

static const struct schema_field F_Status[] = {{"apiVersion", STR},
					       {"code", I32},
					       {"details", &T_StatusDetails},
					       {"kind", STR},
					       {"message", STR},
					       {"metadata", &T_ListMeta},
					       {"reason", STR, GO("v1.StatusReason")},
					       {"status", STR},
					       END};
DEF(Status, META("Status"), "Status is a return value for calls that don't return other objects.");

static const struct schema_field F_Preconditions[] = {
    {"resourceVersion", STR}, {"uid", STR, GO("types.UID")}, END};
DEF(Preconditions, META("Preconditions"),
    "Preconditions must be fulfilled before an operation (update, delete, etc.) is carried out.");

static const struct schema_field F_DeleteOptions[] = {
    {"apiVersion", STR},
    {"dryRun", STRS, ATOMIC},
    {"gracePeriodSeconds", I64},
    {"ignoreStoreReadErrorWithClusterBreakingPotential", BOOL},
    {"kind", STR},
    {"orphanDependents", BOOL},
    {"preconditions", &T_Preconditions},
    {"propagationPolicy", STR, GO("v1.DeletionPropagation")},
    END};
DEF(DeleteOptions, META("DeleteOptions"),
    "DeleteOptions may be provided when deleting an API object.");

static const struct schema_field F_Patch[] = {END};
DEF(Patch, META("Patch"),
    "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.");

/* ---- core/v1 shared ---- */

static const struct schema_field F_ObjectReference[] = {{"apiVersion", STR},
							{"fieldPath", STR},
							{"kind", STR},
							{"name", STR},
							{"namespace", STR},
							{"resourceVersion", STR},
							{"uid", STR, GO("types.UID")},
							END};
DEF_ATOMIC(ObjectReference, CORE("ObjectReference"),
	   "ObjectReference contains enough information to let you inspect or modify the referred "
	   "object.");

static const struct schema_field F_LocalObjectReference[] = {{"name", STR}, END};
DEF_ATOMIC(LocalObjectReference, CORE("LocalObjectReference"),
	   "LocalObjectReference contains enough information to let you locate the referenced "
	   "object inside the same namespace.");

/* ---- Service ---- */

static const struct schema_field F_ServicePort[] = {
    {"appProtocol", STR},
    {"name", STR, .desc = "The name of this port within the service. This must be a DNS_LABEL."},
    {"nodePort", I32},
    {"port", I32, REQ, .desc = "The port that will be exposed by this service."},
    {"protocol", STR, GO("v1.Protocol"),
     .desc = "The IP protocol for this port. Supports "
	     "\"TCP\", \"UDP\", and \"SCTP\". Default is TCP."},
    {"targetPort", &T_IntOrString,
     .desc = "Number or name of the port to access on the pods targeted by the service."},
    END};
DEF(ServicePort, CORE("ServicePort"), "ServicePort contains information on service's port.");

static const struct schema_field F_ClientIPConfig[] = {{"timeoutSeconds", I32}, END};
DEF(ClientIPConfig, CORE("ClientIPConfig"),
    "ClientIPConfig represents the configurations of Client IP based session affinity.");

static const struct schema_field F_SessionAffinityConfig[] = {{"clientIP", &T_ClientIPConfig}, END};
DEF(SessionAffinityConfig, CORE("SessionAffinityConfig"),
    "SessionAffinityConfig represents the configurations of session affinity.");

static const struct schema_field F_ServiceSpec[] = {
    {"allocateLoadBalancerNodePorts", BOOL},
    {"clusterIP", STR},
    {"clusterIPs", STRS, ATOMIC},
    {"externalIPs", STRS, ATOMIC},
    {"externalName", STR},
    {"externalTrafficPolicy", STR, GO("v1.ServiceExternalTrafficPolicy")},
    {"healthCheckNodePort", I32},
    {"internalTrafficPolicy", STR, GO("v1.ServiceInternalTrafficPolicy")},
    {"ipFamilies", STRS, ATOMIC, GO("[]v1.IPFamily")},
    {"ipFamilyPolicy", STR, GO("v1.IPFamilyPolicy")},
    {"loadBalancerClass", STR},
    {"loadBalancerIP", STR},
    {"loadBalancerSourceRanges", STRS, ATOMIC},
    {"ports", ARR(&T_ServicePort), MERGE("port"), LMAP("port,protocol"),
     .desc = "The list of ports that are exposed by this service."},
    {"publishNotReadyAddresses", BOOL},
    {"selector", LABELS, .map_type = "atomic",
     .desc = "Route service traffic to pods with label keys and values matching this selector."},
    {"sessionAffinity", STR, GO("v1.ServiceAffinity")},
    {"sessionAffinityConfig", &T_SessionAffinityConfig},
    {"trafficDistribution", STR},
    {"type", STR, GO("v1.ServiceType"),
     .desc = "type determines how the Service is exposed. Defaults to ClusterIP. Valid options "
	     "are ExternalName, ClusterIP, NodePort, and LoadBalancer."},
    END};
DEF(ServiceSpec, CORE("ServiceSpec"),
    "ServiceSpec describes the attributes that a user creates on a service.");

static const struct schema_field F_PortStatus[] = {
    {"error", STR}, {"port", I32, REQ}, {"protocol", STR, REQ, GO("v1.Protocol")}, END};
DEF(PortStatus, CORE("PortStatus"), "PortStatus represents the error condition of a service port");

static const struct schema_field F_LoadBalancerIngress[] = {
    {"hostname", STR},
    {"ip", STR},
    {"ipMode", STR, GO("v1.LoadBalancerIPMode")},
    {"ports", ARR(&T_PortStatus), ATOMIC},
    END};
DEF(LoadBalancerIngress, CORE("LoadBalancerIngress"),
    "LoadBalancerIngress represents the status of a load-balancer ingress point.");

static const struct schema_field F_LoadBalancerStatus[] = {
    {"ingress", ARR(&T_LoadBalancerIngress), ATOMIC}, END};
DEF(LoadBalancerStatus, CORE("LoadBalancerStatus"),
    "LoadBalancerStatus represents the status of a load-balancer.");

static const struct schema_field F_ServiceStatus[] = {
    {"conditions", ARR(&T_Condition), MERGE("type"), LMAP("type")},
    {"loadBalancer", &T_LoadBalancerStatus},
    END};
DEF(ServiceStatus, CORE("ServiceStatus"),
    "ServiceStatus represents the current status of a service.");

#define KIND_HEAD(metatype)                                                                        \
	{"apiVersion", STR}, {"kind", STR},                                                        \
	{                                                                                          \
		"metadata", &metatype                                                              \
	}
#define KIND(var, oname, grp, d)                                                                   \
	static const struct schema_type T_##var = {                                                \
	    SK_STRUCT,	       oname,	     "v1." #var,     d, F_##var,                           \
	    .kind_name = #var, .group = grp, .version = "v1"}
#define LIST(var, item, oname, grp, d)                                                             \
	static const struct schema_field F_##var[] = {                                             \
	    KIND_HEAD(T_ListMeta), {"items", ARR(&T_##item), REQ}, END};                           \
	KIND(var, oname, grp, d)

static const struct schema_field F_Service[] = {
    KIND_HEAD(T_ObjectMeta), {"spec", &T_ServiceSpec}, {"status", &T_ServiceStatus}, END};
KIND(Service, CORE("Service"), "",
     "Service is a named abstraction of software service (for example, mysql) consisting of local "
     "port (for example 3306) that the proxy listens on, and the selector that determines which "
     "pods will answer requests sent through the proxy.");
LIST(ServiceList, Service, CORE("ServiceList"), "", "ServiceList holds a list of services.");

/* ---- Endpoints ---- */

static const struct schema_field F_EndpointAddress[] = {
    {"hostname", STR}, {"ip", STR, REQ}, {"nodeName", STR}, {"targetRef", &T_ObjectReference}, END};
DEF_ATOMIC(EndpointAddress, CORE("EndpointAddress"),
	   "EndpointAddress is a tuple that describes single IP address.");

static const struct schema_field F_EndpointPort[] = {{"appProtocol", STR},
						     {"name", STR},
						     {"port", I32, REQ},
						     {"protocol", STR, GO("v1.Protocol")},
						     END};
DEF_ATOMIC(EndpointPort, CORE("EndpointPort"),
	   "EndpointPort is a tuple that describes a single port.");

static const struct schema_field F_EndpointSubset[] = {
    {"addresses", ARR(&T_EndpointAddress), ATOMIC},
    {"notReadyAddresses", ARR(&T_EndpointAddress), ATOMIC},
    {"ports", ARR(&T_EndpointPort), ATOMIC},
    END};
DEF(EndpointSubset, CORE("EndpointSubset"),
    "EndpointSubset is a group of addresses with a common set of ports.");

static const struct schema_field F_Endpoints[] = {
    KIND_HEAD(T_ObjectMeta), {"subsets", ARR(&T_EndpointSubset), ATOMIC}, END};
KIND(Endpoints, CORE("Endpoints"), "",
     "Endpoints is a collection of endpoints that implement the "
     "actual service.");
LIST(EndpointsList, Endpoints, CORE("EndpointsList"), "", "EndpointsList is a list of endpoints.");

/* ---- EndpointSlice (discovery/v1) ---- */

static const struct schema_field F_EndpointConditions[] = {
    {"ready", BOOL}, {"serving", BOOL}, {"terminating", BOOL}, END};
DEF(EndpointConditions, DISC("EndpointConditions"),
    "EndpointConditions represents the current condition of an endpoint.");

static const struct schema_field F_ForZone[] = {{"name", STR, REQ}, END};
DEF(ForZone, DISC("ForZone"),
    "ForZone provides information about which zones should consume this endpoint.");

static const struct schema_field F_EndpointHints[] = {{"forZones", ARR(&T_ForZone), ATOMIC}, END};
DEF(EndpointHints, DISC("EndpointHints"),
    "EndpointHints provides hints describing how an endpoint should be consumed.");

static const struct schema_field F_Endpoint[] = {{"addresses", STRS, REQ, SET},
						 {"conditions", &T_EndpointConditions},
						 {"deprecatedTopology", LABELS},
						 {"hints", &T_EndpointHints},
						 {"hostname", STR},
						 {"nodeName", STR},
						 {"targetRef", &T_ObjectReference},
						 {"zone", STR},
						 END};
DEF(Endpoint, DISC("Endpoint"),
    "Endpoint represents a single logical \"backend\" implementing a "
    "service.");

static const struct schema_field F_DiscEndpointPort[] = {
    {"appProtocol", STR}, {"name", STR}, {"port", I32}, {"protocol", STR, GO("v1.Protocol")}, END};
static const struct schema_type T_DiscEndpointPort = {
    SK_STRUCT,		DISC("EndpointPort"),
    "v1.EndpointPort",	"EndpointPort represents a Port used by an EndpointSlice",
    F_DiscEndpointPort, .map_type = "atomic"};

static const struct schema_field F_EndpointSlice[] = {
    {"addressType", STR, REQ, GO("v1.AddressType")},
    KIND_HEAD(T_ObjectMeta),
    {"endpoints", ARR(&T_Endpoint), REQ, ATOMIC},
    {"ports", ARR(&T_DiscEndpointPort), ATOMIC},
    END};
KIND(EndpointSlice, DISC("EndpointSlice"), "discovery.k8s.io",
     "EndpointSlice represents a subset of the endpoints that implement a service.");
LIST(EndpointSliceList, EndpointSlice, DISC("EndpointSliceList"), "discovery.k8s.io",
     "EndpointSliceList represents a list of endpoint slices");

/* ---- Lease (coordination/v1) ---- */

static const struct schema_field F_LeaseSpec[] = {
    {"acquireTime", &T_MicroTime},
    {"holderIdentity", STR},
    {"leaseDurationSeconds", I32},
    {"leaseTransitions", I32},
    {"preferredHolder", STR},
    {"renewTime", &T_MicroTime},
    {"strategy", STR, GO("v1.CoordinatedLeaseStrategy")},
    END};
DEF(LeaseSpec, COORD("LeaseSpec"), "LeaseSpec is a specification of a Lease.");

static const struct schema_field F_Lease[] = {KIND_HEAD(T_ObjectMeta), {"spec", &T_LeaseSpec}, END};
KIND(Lease, COORD("Lease"), "coordination.k8s.io", "Lease defines a lease concept.");
LIST(LeaseList, Lease, COORD("LeaseList"), "coordination.k8s.io",
     "LeaseList is a list of Lease objects.");

/* ---- Namespace ---- */

static const struct schema_field F_NamespaceSpec[] = {
    {"finalizers", STRS, ATOMIC, GO("[]v1.FinalizerName")}, END};
DEF(NamespaceSpec, CORE("NamespaceSpec"), "NamespaceSpec describes the attributes on a Namespace.");

static const struct schema_field F_NamespaceCondition[] = {
    {"lastTransitionTime", &T_Time},
    {"message", STR},
    {"reason", STR},
    {"status", STR, REQ, GO("v1.ConditionStatus")},
    {"type", STR, REQ, GO("v1.NamespaceConditionType")},
    END};
DEF(NamespaceCondition, CORE("NamespaceCondition"),
    "NamespaceCondition contains details about state of namespace.");

static const struct schema_field F_NamespaceStatus[] = {
    {"conditions", ARR(&T_NamespaceCondition), MERGE("type"), LMAP("type")},
    {"phase", STR, GO("v1.NamespacePhase")},
    END};
DEF(NamespaceStatus, CORE("NamespaceStatus"),
    "NamespaceStatus is information about the current status of a Namespace.");

static const struct schema_field F_Namespace[] = {
    KIND_HEAD(T_ObjectMeta), {"spec", &T_NamespaceSpec}, {"status", &T_NamespaceStatus}, END};
KIND(Namespace, CORE("Namespace"), "",
     "Namespace provides a scope for Names. Use of multiple namespaces is optional.");
LIST(NamespaceList, Namespace, CORE("NamespaceList"), "", "NamespaceList is a list of Namespaces.");

/* ---- Node ---- */

static const struct schema_field F_Taint[] = {{"effect", STR, REQ, GO("v1.TaintEffect")},
					      {"key", STR, REQ},
					      {"timeAdded", &T_Time},
					      {"value", STR},
					      END};
DEF(Taint, CORE("Taint"),
    "The node this Taint is attached to has the \"effect\" on any pod that "
    "does not tolerate the Taint.");

static const struct schema_type T_NodeConfigSource = {
    SK_ANY, CORE("NodeConfigSource"), "v1.NodeConfigSource",
    "NodeConfigSource specifies a source of node configuration (deprecated)."};

static const struct schema_field F_NodeSpec[] = {{"configSource", &T_NodeConfigSource},
						 {"externalID", STR},
						 {"podCIDR", STR},
						 {"podCIDRs", STRS, .strategy = "merge", SET},
						 {"providerID", STR},
						 {"taints", ARR(&T_Taint), ATOMIC},
						 {"unschedulable", BOOL},
						 END};
DEF(NodeSpec, CORE("NodeSpec"), "NodeSpec describes the attributes that a node is created with.");

static const struct schema_field F_NodeCondition[] = {
    {"lastHeartbeatTime", &T_Time},
    {"lastTransitionTime", &T_Time},
    {"message", STR},
    {"reason", STR},
    {"status", STR, REQ, GO("v1.ConditionStatus")},
    {"type", STR, REQ, GO("v1.NodeConditionType")},
    END};
DEF(NodeCondition, CORE("NodeCondition"),
    "NodeCondition contains condition information for a node.");

static const struct schema_field F_NodeAddress[] = {
    {"address", STR, REQ}, {"type", STR, REQ, GO("v1.NodeAddressType")}, END};
DEF(NodeAddress, CORE("NodeAddress"), "NodeAddress contains information for the node's address.");

static const struct schema_field F_DaemonEndpoint[] = {{"Port", I32, REQ}, END};
DEF(DaemonEndpoint, CORE("DaemonEndpoint"),
    "DaemonEndpoint contains information about a single Daemon endpoint.");

static const struct schema_field F_NodeDaemonEndpoints[] = {{"kubeletEndpoint", &T_DaemonEndpoint},
							    END};
DEF(NodeDaemonEndpoints, CORE("NodeDaemonEndpoints"),
    "NodeDaemonEndpoints lists ports opened by daemons running on the Node.");

static const struct schema_field F_NodeSystemInfo[] = {{"architecture", STR, REQ},
						       {"bootID", STR, REQ},
						       {"containerRuntimeVersion", STR, REQ},
						       {"kernelVersion", STR, REQ},
						       {"kubeProxyVersion", STR, REQ},
						       {"kubeletVersion", STR, REQ},
						       {"machineID", STR, REQ},
						       {"operatingSystem", STR, REQ},
						       {"osImage", STR, REQ},
						       {"systemUUID", STR, REQ},
						       END};
DEF(NodeSystemInfo, CORE("NodeSystemInfo"),
    "NodeSystemInfo is a set of ids/uuids to uniquely identify the node.");

static const struct schema_field F_ContainerImage[] = {
    {"names", STRS, ATOMIC}, {"sizeBytes", I64}, END};
DEF(ContainerImage, CORE("ContainerImage"), "Describe a container image");

static const struct schema_field F_AttachedVolume[] = {
    {"devicePath", STR, REQ}, {"name", STR, REQ, GO("v1.UniqueVolumeName")}, END};
DEF(AttachedVolume, CORE("AttachedVolume"), "AttachedVolume describes a volume attached to a node");

static const struct schema_field F_NodeRuntimeHandlerFeatures[] = {
    {"recursiveReadOnlyMounts", BOOL}, {"userNamespaces", BOOL}, END};
DEF(NodeRuntimeHandlerFeatures, CORE("NodeRuntimeHandlerFeatures"),
    "NodeRuntimeHandlerFeatures is a set of features implemented by the runtime handler.");

static const struct schema_field F_NodeRuntimeHandler[] = {
    {"features", &T_NodeRuntimeHandlerFeatures}, {"name", STR}, END};
DEF(NodeRuntimeHandler, CORE("NodeRuntimeHandler"),
    "NodeRuntimeHandler is a set of runtime handler information.");

static const struct schema_field F_NodeFeatures[] = {{"supplementalGroupsPolicy", BOOL}, END};
DEF(NodeFeatures, CORE("NodeFeatures"),
    "NodeFeatures describes the set of features implemented by the CRI implementation.");

static const struct schema_type T_NodeConfigStatus = {
    SK_ANY, CORE("NodeConfigStatus"), "v1.NodeConfigStatus",
    "NodeConfigStatus describes the status of the config assigned by Node.Spec.ConfigSource."};

static const struct schema_field F_NodeStatus[] = {
    {"addresses", ARR(&T_NodeAddress), MERGE("type"), LMAP("type")},
    {"allocatable", RESLIST, GO("v1.ResourceList")},
    {"capacity", RESLIST, GO("v1.ResourceList")},
    {"conditions", ARR(&T_NodeCondition), MERGE("type"), LMAP("type")},
    {"config", &T_NodeConfigStatus},
    {"daemonEndpoints", &T_NodeDaemonEndpoints},
    {"features", &T_NodeFeatures},
    {"images", ARR(&T_ContainerImage), ATOMIC},
    {"nodeInfo", &T_NodeSystemInfo},
    {"phase", STR, GO("v1.NodePhase")},
    {"runtimeHandlers", ARR(&T_NodeRuntimeHandler), ATOMIC},
    {"volumesAttached", ARR(&T_AttachedVolume), ATOMIC},
    {"volumesInUse", STRS, ATOMIC, GO("[]v1.UniqueVolumeName")},
    END};
DEF(NodeStatus, CORE("NodeStatus"),
    "NodeStatus is information about the current status of a node.");

static const struct schema_field F_Node[] = {
    KIND_HEAD(T_ObjectMeta), {"spec", &T_NodeSpec}, {"status", &T_NodeStatus}, END};
KIND(Node, CORE("Node"), "",
     "Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache "
     "(i.e. in etcd).");
LIST(NodeList, Node, CORE("NodeList"), "",
     "NodeList is the whole list of all Nodes which have "
     "been registered with master.");

/* ---- Event (core/v1) ---- */

static const struct schema_field F_EventSource[] = {{"component", STR}, {"host", STR}, END};
DEF(EventSource, CORE("EventSource"), "EventSource contains information for an event.");

static const struct schema_field F_EventSeries[] = {
    {"count", I32}, {"lastObservedTime", &T_MicroTime}, END};
DEF(EventSeries, CORE("EventSeries"),
    "EventSeries contain information on series of events, i.e. thing that was/is happening "
    "continuously for some time.");

static const struct schema_field F_Event[] = {{"action", STR},
					      KIND_HEAD(T_ObjectMeta),
					      {"count", I32},
					      {"eventTime", &T_MicroTime},
					      {"firstTimestamp", &T_Time},
					      {"involvedObject", &T_ObjectReference, REQ},
					      {"lastTimestamp", &T_Time},
					      {"message", STR},
					      {"reason", STR},
					      {"related", &T_ObjectReference},
					      {"reportingComponent", STR},
					      {"reportingInstance", STR},
					      {"series", &T_EventSeries},
					      {"source", &T_EventSource},
					      {"type", STR},
					      END};
KIND(Event, CORE("Event"), "", "Event is a report of an event somewhere in the cluster.");
LIST(EventList, Event, CORE("EventList"), "", "EventList is a list of events.");

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
    {"containerName", STR}, {"divisor", &T_Quantity}, {"resource", STR, REQ}, END};
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
						      {"port", &T_IntOrString, REQ},
						      {"scheme", STR, GO("v1.URIScheme")},
						      END};
DEF(HTTPGetAction, CORE("HTTPGetAction"),
    "HTTPGetAction describes an action based on HTTP Get requests.");

static const struct schema_field F_TCPSocketAction[] = {
    {"host", STR}, {"port", &T_IntOrString, REQ}, END};
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
    {"medium", STR, GO("v1.StorageMedium")}, {"sizeLimit", &T_Quantity}, END};
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
    {"supplementalGroups", ARR(&T_int64), ATOMIC},
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
    {"labelSelector", &T_LabelSelector},
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
    {"imagePullSecrets", ARR(&T_LocalObjectReference), MERGE("name"), LMAP("name")},
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

static const struct schema_field F_PodCondition[] = {{"lastProbeTime", &T_Time},
						     {"lastTransitionTime", &T_Time},
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

static const struct schema_field F_ContainerStateRunning[] = {{"startedAt", &T_Time}, END};
DEF(ContainerStateRunning, CORE("ContainerStateRunning"),
    "ContainerStateRunning is a running state of a container.");

static const struct schema_field F_ContainerStateTerminated[] = {
    {"containerID", STR}, {"exitCode", I32, REQ}, {"finishedAt", &T_Time}, {"message", STR},
    {"reason", STR},	  {"signal", I32},	  {"startedAt", &T_Time},  END};
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
    {"startTime", &T_Time},
    END};
DEF(PodStatus, CORE("PodStatus"), "PodStatus represents information about the status of a pod.");

static const struct schema_field F_Pod[] = {
    KIND_HEAD(T_ObjectMeta), {"spec", &T_PodSpec}, {"status", &T_PodStatus}, END};
KIND(Pod, CORE("Pod"), "",
     "Pod is a collection of containers that can run on a host. This resource is created by "
     "clients and scheduled onto hosts.");
LIST(PodList, Pod, CORE("PodList"), "", "PodList is a list of Pods.");

/* ---- lookup ---- */

static const struct schema_type *const kinds[] = {&T_Namespace,
						  &T_NamespaceList,
						  &T_Service,
						  &T_ServiceList,
						  &T_Endpoints,
						  &T_EndpointsList,
						  &T_Pod,
						  &T_PodList,
						  &T_Node,
						  &T_NodeList,
						  &T_Event,
						  &T_EventList,
						  &T_EndpointSlice,
						  &T_EndpointSliceList,
						  &T_Lease,
						  &T_LeaseList,
						  NULL};

const struct schema_type *const schema_common_types[] = {&T_Status, &T_DeleteOptions, &T_Patch,
							 NULL};

/* Looks up a kind or list kind by name; the result is static (NULL if unknown). */
const struct schema_type *schema_type_of_kind(const char *kind)
{
	for (size_t i = 0; kinds[i]; i++)
		if (!strcmp(kinds[i]->kind_name, kind))
			return kinds[i];
	return NULL;
}
