package main

import rego.v1

task_plan(task) := {"environment": "dev", "services": [{
	"target": {"region": "ap-northeast-1", "cluster": "web", "service": "api"},
	"after": {"task_definition": task},
}]}

test_a_privileged_container_is_denied if {
	task := {"networkMode": "awsvpc", "containerDefinitions": [{"name": "app", "image": "app:1", "privileged": true}]}
	deny_privileged == {"web/api: container app is privileged"} with input as task_plan(task)
}

test_host_network_is_denied if {
	task := {"networkMode": "host", "containerDefinitions": [{"name": "app", "image": "app:1"}]}
	count(deny_host_network) == 1 with input as task_plan(task)
}

test_an_ordinary_task_passes if {
	task := {"networkMode": "awsvpc", "containerDefinitions": [{"name": "app", "image": "app:1", "privileged": false}]}
	count(deny_privileged) == 0 with input as task_plan(task)
	count(deny_host_network) == 0 with input as task_plan(task)
}
