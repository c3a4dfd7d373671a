# Task-level CPU and memory stay within data.settings.task_cpu and task_memory (a task
# definition without task-level sizes, as EC2 allows, is left alone).
package main

import data.lib.ristretto
import rego.v1

deny_task_cpu contains msg if {
	some service in input.services
	cpu := to_number(service.after.task_definition.cpu)
	bounds := data.settings.task_cpu
	not within(cpu, bounds)
	msg := sprintf("%s: task cpu %v is outside %v..%v units", [ristretto.name(service), cpu, bounds.min, bounds.max])
}

deny_task_memory contains msg if {
	some service in input.services
	memory := to_number(service.after.task_definition.memory)
	bounds := data.settings.task_memory
	not within(memory, bounds)
	msg := sprintf("%s: task memory %v MiB is outside %v..%v MiB", [ristretto.name(service), memory, bounds.min, bounds.max])
}

within(value, bounds) if {
	value >= bounds.min
	value <= bounds.max
}
