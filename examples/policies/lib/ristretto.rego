# Helpers shared by the example policies: the containers of a plan, the parts of an image
# reference, and how a service is named in messages. The input is ristretto's JSON plan
# (`ristretto plan --format json`, without `digest` and `policy`).
package lib.ristretto

import rego.v1

# "cluster/service", as ristretto names a service.
name(service) := sprintf("%s/%s", [service.target.cluster, service.target.service])

# Every container as the plan leaves it, with its service: [service, container].
containers contains [service, container] if {
	some service in input.services
	some container in service.after.task_definition.containerDefinitions
}

# The service document after the plan, when the plan has a service (a config may deploy a
# task definition only).
service_after(service) := document if {
	document := service.after.service
	is_object(document)
}

# The tag of an image reference: what follows the last ":" of its last path segment (a ":"
# before the last "/" is a registry's port). Undefined for an untagged image and for a digest.
image_tag(image) := tag if {
	not contains(image, "@")
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	pieces := split(last, ":")
	tag := pieces[count(pieces) - 1]
}

# The registry of an image reference: its first path segment when that is a host name (it
# has a "." or a ":", or is localhost), else Docker Hub.
registry(image) := host if {
	parts := split(image, "/")
	count(parts) > 1
	first := parts[0]
	is_host(first)
	host := first
} else := "docker.io"

is_host(segment) if contains(segment, ".")

is_host(segment) if contains(segment, ":")

is_host(segment) if segment == "localhost"
