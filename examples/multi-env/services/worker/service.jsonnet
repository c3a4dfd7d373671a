// The worker's service definition: one task fewer than the api (at least one).
local platform = import 'platform.libsonnet';

function(env) platform.service(env, desiredCount=std.max(1, platform.settings(env).desiredCount - 1))
