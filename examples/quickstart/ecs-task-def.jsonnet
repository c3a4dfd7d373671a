// The task definition: the input of `aws ecs register-task-definition --cli-input-json`.
// The image tag comes from IMAGE_TAG (default "stable").
local lib = import 'container.libsonnet';
local tag = std.native('env')('IMAGE_TAG', 'stable');

{
  family: 'hello',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  containerDefinitions: [
    lib.container('web', 'public.ecr.aws/nginx/nginx:' + tag, port=80) + {
      environment: [{ name: 'GREETING', value: 'hello from ristretto' }],
    },
  ],
}
