package main

import rego.v1

service_plan(environment, document) := {"environment": environment, "services": [{
	"target": {"region": "ap-northeast-1", "cluster": "web", "service": "api"},
	"environment": environment,
	"after": {"task_definition": {"containerDefinitions": []}, "service": document},
}]}

breaker(enable, rollback) := {
	"deploymentController": {"type": "ECS"},
	"deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": enable, "rollback": rollback}},
}

test_prod_without_rollback_is_denied if {
	count(deny_circuit_breaker) == 1 with input as service_plan("prod", breaker(true, false))
	count(deny_circuit_breaker) == 1 with input as service_plan("prod", breaker(false, false))
	count(deny_circuit_breaker) == 1 with input as service_plan("prod", {})
}

test_prod_with_rollback_passes if {
	count(deny_circuit_breaker) == 0 with input as service_plan("prod", breaker(true, true))
}

test_other_environments_and_code_deploy_pass if {
	count(deny_circuit_breaker) == 0 with input as service_plan("dev", breaker(false, false))
	count(deny_circuit_breaker) == 0 with input as service_plan(null, breaker(false, false))
	code_deploy := {"deploymentController": {"type": "CODE_DEPLOY"}}
	count(deny_circuit_breaker) == 0 with input as service_plan("prod", code_deploy)
}

test_a_task_definition_only_plan_passes if {
	count(deny_circuit_breaker) == 0 with input as service_plan("prod", null)
}
