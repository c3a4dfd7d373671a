package lib.ristretto_test

import data.lib.ristretto
import rego.v1

test_tags if {
	ristretto.image_tag("nginx:1.27") == "1.27"
	ristretto.image_tag("registry.example.com:5000/team/app:v2") == "v2"
	not ristretto.image_tag("registry.example.com:5000/team/app")
	not ristretto.image_tag("nginx")
	not ristretto.image_tag("nginx@sha256:0123456789abcdef")
}

test_registries if {
	ristretto.registry("nginx:1") == "docker.io"
	ristretto.registry("library/nginx:1") == "docker.io"
	ristretto.registry("123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api:1") == "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com"
	ristretto.registry("localhost/app:1") == "localhost"
	ristretto.registry("registry.example.com:5000/app") == "registry.example.com:5000"
}
