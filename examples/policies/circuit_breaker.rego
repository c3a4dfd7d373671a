# In production (ristretto --env prod, or any environment data.settings.production_environments
# lists), a service deployed by ECS rolls back a failed deployment: the deployment circuit
# breaker is on, with rollback.
package main

import data.lib.ristretto
import rego.v1

deny_circuit_breaker contains msg if {
	some service in input.services
	service.environment in data.settings.production_environments
	document := ristretto.service_after(service)
	object.get(document, ["deploymentController", "type"], "ECS") == "ECS"
	breaker := object.get(document, ["deploymentConfiguration", "deploymentCircuitBreaker"], {})
	not rolls_back(breaker)
	msg := sprintf("%s: in %s the deployment circuit breaker must be enabled with rollback (deploymentConfiguration.deploymentCircuitBreaker)", [ristretto.name(service), service.environment])
}

rolls_back(breaker) if {
	breaker.enable == true
	breaker.rollback == true
}
