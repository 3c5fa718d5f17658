/*
 * The type definitions of the served kinds, as k8s.io/api (core/v1,
 * discovery/v1, coordination/v1) and apimachinery (meta/v1) define them: JSON
 * names, types, required fields and the patch metadata their OpenAPI carries.
 * Structs are defined bottom-up because each table points at the tables of
 * its fields. The Pod and its parts are in schema_types_pod.c.
 */
#include "api/schema-internal.h"
#include "api/schema_types-internal.h"

#include <stddef.h>
#include <string.h>

/* The tables name only the members they set; the rest are NULL on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

const struct schema_type schema_T_string = {SK_STRING, NULL, "string"};
const struct schema_type schema_T_int32 = {SK_INT32, NULL, "int32"};
const struct schema_type schema_T_int64 = {SK_INT64, NULL, "int64"};
const struct schema_type schema_T_bool = {SK_BOOL, NULL, "bool"};
const struct schema_type schema_T_IntOrString = {
    SK_INT_OR_STRING, "io.k8s.apimachinery.pkg.util.intstr.IntOrString", "intstr.IntOrString",
    "IntOrString is a type that can hold an int32 or a string."};
const struct schema_type schema_T_Quantity = {
    SK_QUANTITY, "io.k8s.apimachinery.pkg.api.resource.Quantity", "resource.Quantity",
    "Quantity is a fixed-point representation of a number, serialized as \"<number><suffix>\"."};
const struct schema_type schema_T_Time = {
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
    {"time", &schema_T_Time},
    END};
DEF(ManagedFieldsEntry, META("ManagedFieldsEntry"),
    "ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that "
    "the fieldset applies to.");

static const struct schema_field F_ObjectMeta[] = {
    {"annotations", LABELS, .desc = "Annotations is an unstructured key value map."},
    {"creationTimestamp", &schema_T_Time},
    {"deletionGracePeriodSeconds", I64},
    {"deletionTimestamp", &schema_T_Time},
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
DEF_SHARED(
    ObjectMeta, META("ObjectMeta"),
    "ObjectMeta is metadata that all persisted resources must have, which includes all objects "
    "users must create.");

static const struct schema_field F_ListMeta[] = {{"continue", STR},
						 {"remainingItemCount", I64},
						 {"resourceVersion", STR},
						 {"selfLink", STR},
						 END};
DEF_SHARED(ListMeta, META("ListMeta"),
	   "ListMeta describes metadata that synthetic resources must have, including lists.");

static const struct schema_field F_Condition[] = {{"lastTransitionTime", &schema_T_Time, REQ},
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
DEF_ATOMIC_SHARED(LabelSelector, META("LabelSelector"),
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
					       {"metadata", &schema_T_ListMeta},
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
DEF_ATOMIC_SHARED(
    LocalObjectReference, CORE("LocalObjectReference"),
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
    {"targetPort", &schema_T_IntOrString,
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

static const struct schema_field F_Service[] = {
    KIND_HEAD(schema_T_ObjectMeta), {"spec", &T_ServiceSpec}, {"status", &T_ServiceStatus}, END};
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
    KIND_HEAD(schema_T_ObjectMeta), {"subsets", ARR(&T_EndpointSubset), ATOMIC}, END};
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
    KIND_HEAD(schema_T_ObjectMeta),
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

static const struct schema_field F_Lease[] = {
    KIND_HEAD(schema_T_ObjectMeta), {"spec", &T_LeaseSpec}, END};
KIND(Lease, COORD("Lease"), "coordination.k8s.io", "Lease defines a lease concept.");
LIST(LeaseList, Lease, COORD("LeaseList"), "coordination.k8s.io",
     "LeaseList is a list of Lease objects.");

/* ---- Namespace ---- */

static const struct schema_field F_NamespaceSpec[] = {
    {"finalizers", STRS, ATOMIC, GO("[]v1.FinalizerName")}, END};
DEF(NamespaceSpec, CORE("NamespaceSpec"), "NamespaceSpec describes the attributes on a Namespace.");

static const struct schema_field F_NamespaceCondition[] = {
    {"lastTransitionTime", &schema_T_Time},
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

static const struct schema_field F_Namespace[] = {KIND_HEAD(schema_T_ObjectMeta),
						  {"spec", &T_NamespaceSpec},
						  {"status", &T_NamespaceStatus},
						  END};
KIND(Namespace, CORE("Namespace"), "",
     "Namespace provides a scope for Names. Use of multiple namespaces is optional.");
LIST(NamespaceList, Namespace, CORE("NamespaceList"), "", "NamespaceList is a list of Namespaces.");

/* ---- Node ---- */

static const struct schema_field F_Taint[] = {{"effect", STR, REQ, GO("v1.TaintEffect")},
					      {"key", STR, REQ},
					      {"timeAdded", &schema_T_Time},
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
    {"lastHeartbeatTime", &schema_T_Time},
    {"lastTransitionTime", &schema_T_Time},
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
    KIND_HEAD(schema_T_ObjectMeta), {"spec", &T_NodeSpec}, {"status", &T_NodeStatus}, END};
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
					      KIND_HEAD(schema_T_ObjectMeta),
					      {"count", I32},
					      {"eventTime", &T_MicroTime},
					      {"firstTimestamp", &schema_T_Time},
					      {"involvedObject", &T_ObjectReference, REQ},
					      {"lastTimestamp", &schema_T_Time},
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

/* ---- lookup ---- */

/* The kinds defined in this file, NULL-terminated. */
static const struct schema_type *const kinds[] = {
    &T_Namespace,   &T_NamespaceList, &T_Service,
    &T_ServiceList, &T_Endpoints,     &T_EndpointsList,
    &T_Node,	    &T_NodeList,      &T_Event,
    &T_EventList,   &T_EndpointSlice, &T_EndpointSliceList,
    &T_Lease,	    &T_LeaseList,     NULL};

const struct schema_type *const schema_common_types[] = {&T_Status, &T_DeleteOptions, &T_Patch,
							 NULL};

/* Looks up a kind or list kind by name; the result is static (NULL if unknown). */
const struct schema_type *schema_type_of_kind(const char *kind)
{
	static const struct schema_type *const *const tables[] = {kinds, schema_pod_kinds};

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (size_t i = 0; tables[t][i]; i++)
			if (!strcmp(tables[t][i]->kind_name, kind))
				return tables[t][i];
	return NULL;
}
