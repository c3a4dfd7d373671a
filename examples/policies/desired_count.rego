# A warning (not a refusal) when a plan takes a service's desiredCount down by more than half.
package main

import data.lib.ristretto
import rego.v1

warn_desired_count contains msg if {
	some service in input.services
	before := service.before.service.desiredCount
	after := service.after.service.desiredCount
	after * 2 < before
	msg := sprintf("%s: desiredCount drops from %d to %d, by more than half", [ristretto.name(service), before, after])
}
