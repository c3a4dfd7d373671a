# Every image names a version: no `latest` tag and no untagged image (which means `latest`).
# Digests (image@sha256:…) are versions.
package main

import data.lib.ristretto
import rego.v1

deny_latest contains msg if {
	some [service, container] in ristretto.containers
	ristretto.image_tag(container.image) == "latest"
	msg := sprintf("%s: container %s runs %s: pin a version instead of latest", [ristretto.name(service), container.name, container.image])
}

deny_untagged contains msg if {
	some [service, container] in ristretto.containers
	not contains(container.image, "@")
	not ristretto.image_tag(container.image)
	msg := sprintf("%s: container %s runs %s without a tag (that is latest): pin a version", [ristretto.name(service), container.name, container.image])
}
