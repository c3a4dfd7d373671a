// The quick start's config: one Fargate service on a cluster named "quickstart".
{
  region: std.native('env')('AWS_REGION', 'ap-northeast-1'),
  cluster: 'quickstart',
  service: 'hello',
  service_definition: 'ecs-service-def.jsonnet',
  task_definition: 'ecs-task-def.jsonnet',
  timeout: '5m',
}
