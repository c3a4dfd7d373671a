package main

import rego.v1

test_docker_hub_is_not_allowed if {
	deny_registry == {"web/api: container c0 pulls from docker.io, which is not an allowed registry (registry.example.com)"} with input as plan_with_images(["nginx:1"])
		with data.settings.allowed_registries as ["registry.example.com"]
}

test_an_allowed_registry_passes if {
	count(deny_registry) == 0 with input as plan_with_images(["registry.example.com/team/app:1"])
		with data.settings.allowed_registries as ["registry.example.com"]
}

test_the_data_file_allows_ecr if {
	count(deny_registry) == 0 with input as plan_with_images(["123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api:1.4.2"])
}
