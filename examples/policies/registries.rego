# Images come only from the registries data.settings.allowed_registries lists.
package main

import data.lib.ristretto
import rego.v1

deny_registry contains msg if {
	some [service, container] in ristretto.containers
	registry := ristretto.registry(container.image)
	not registry in data.settings.allowed_registries
	msg := sprintf("%s: container %s pulls from %s, which is not an allowed registry (%s)", [ristretto.name(service), container.name, registry, concat(", ", data.settings.allowed_registries)])
}
