package main

import rego.v1

plan_with_images(images) := {"environment": "dev", "services": [{
	"target": {"region": "ap-northeast-1", "cluster": "web", "service": "api"},
	"after": {"task_definition": {"containerDefinitions": [{"name": sprintf("c%d", [i]), "image": image} | some i, image in images]}},
}]}

test_latest_is_denied if {
	deny_latest == {"web/api: container c0 runs nginx:latest: pin a version instead of latest"} with input as plan_with_images(["nginx:latest"])
}

test_untagged_is_denied if {
	count(deny_untagged) == 2 with input as plan_with_images(["nginx", "registry.example.com:5000/app"])
}

test_versions_and_digests_pass if {
	images := ["nginx:1.27", "registry.example.com:5000/app:v2", "app@sha256:0123456789abcdef"]
	count(deny_latest) == 0 with input as plan_with_images(images)
	count(deny_untagged) == 0 with input as plan_with_images(images)
}
