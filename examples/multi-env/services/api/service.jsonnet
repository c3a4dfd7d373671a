// The api's service definition.
local platform = import 'platform.libsonnet';

function(env) platform.service(env)
