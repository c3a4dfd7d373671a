// The worker's task definition: same image tag as the api, no port.
local platform = import 'platform.libsonnet';

function(env, tag=std.native('env')('IMAGE_TAG', 'latest'))
  platform.taskDefinition(env, 'worker', [
    platform.container('worker', 'public.ecr.aws/docker/library/busybox:' + tag) + {
      command: ['sh', '-c', 'while true; do echo working; sleep 60; done'],
      environment: [{ name: 'ENVIRONMENT', value: env }],
    },
  ])
