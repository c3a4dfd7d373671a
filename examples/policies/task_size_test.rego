package main

import rego.v1

sized(cpu, memory) := {"environment": "dev", "services": [{
	"target": {"region": "ap-northeast-1", "cluster": "web", "service": "api"},
	"after": {"task_definition": {"cpu": cpu, "memory": memory, "containerDefinitions": []}},
}]}

test_sizes_within_bounds_pass if {
	count(deny_task_cpu) == 0 with input as sized("256", "512")
	count(deny_task_memory) == 0 with input as sized("4096", "16384")
}

test_too_large_or_too_small_is_denied if {
	deny_task_cpu == {"web/api: task cpu 8192 is outside 256..4096 units"} with input as sized("8192", "512")
	count(deny_task_memory) == 1 with input as sized("256", "256")
}

test_tasks_without_task_level_sizes_are_left_alone if {
	plan := {"services": [{"target": {"cluster": "web", "service": "api"}, "after": {"task_definition": {"containerDefinitions": []}}}]}
	count(deny_task_cpu) == 0 with input as plan
	count(deny_task_memory) == 0 with input as plan
}
