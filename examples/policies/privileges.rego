# No privileged container and no host network mode. Written in Rego's classic syntax
# (deny[msg] { … }), which ristretto reads as well as v1.
package main

import data.lib.ristretto

deny_privileged[msg] {
	pair := ristretto.containers[_]
	service := pair[0]
	container := pair[1]
	container.privileged == true
	msg := sprintf("%s: container %s is privileged", [ristretto.name(service), container.name])
}

deny_host_network[msg] {
	service := input.services[_]
	service.after.task_definition.networkMode == "host"
	msg := sprintf("%s: the task uses the host network mode; use awsvpc or bridge", [ristretto.name(service)])
}
