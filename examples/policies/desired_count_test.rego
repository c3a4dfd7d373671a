package main

import rego.v1

counts(before, after) := {"services": [{
	"target": {"region": "ap-northeast-1", "cluster": "web", "service": "api"},
	"before": {"service": {"desiredCount": before}},
	"after": {"service": {"desiredCount": after}},
}]}

test_a_drop_by_more_than_half_warns if {
	warn_desired_count == {"web/api: desiredCount drops from 10 to 4, by more than half"} with input as counts(10, 4)
}

test_half_or_less_is_quiet if {
	count(warn_desired_count) == 0 with input as counts(10, 5)
	count(warn_desired_count) == 0 with input as counts(2, 3)
}

test_a_new_service_is_quiet if {
	plan := {"services": [{"target": {"cluster": "web", "service": "api"}, "before": {"service": null}, "after": {"service": {"desiredCount": 2}}}]}
	count(warn_desired_count) == 0 with input as plan
}
